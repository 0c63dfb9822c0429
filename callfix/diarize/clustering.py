"""Speaker-count estimation that does not hinge on one distance threshold.

pyannote's ``AgglomerativeClustering`` cuts the dendrogram at a fixed cosine distance; with CAM++
embeddings the best cut moved from 0.4 (synthetic voices) to above 0.6 (real speech), and a cut
0.1 off the best one doubled DER. This variant keeps pyannote's dendrogram, filtering and
assignment but chooses the number of clusters as the cut whose partition has the best mean
silhouette (cosine), among cuts whose clusters all have ``min_cluster_size`` members. When no
partition reaches ``min_silhouette`` the call is taken to have a single speaker. ``threshold``
survives only as a floor: no cut below it is considered (near-duplicate embeddings never split).
"""
from __future__ import annotations

import numpy as np
from pyannote.audio.pipelines.clustering import AgglomerativeClustering
from pyannote.pipeline.parameter import Uniform
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import silhouette_score

MAX_SCORED = 3000  # silhouette is quadratic: score a fixed random subset on long calls
MAX_LINKED = 4000  # so is the dendrogram (8000 embeddings: 256 MB of distances): link a subset


class SilhouetteAgglomerativeClustering(AgglomerativeClustering):
    def __init__(self, metric: str = "cosine", constrained_assignment: bool = False, max_speakers: int = 20):
        super().__init__(metric=metric, constrained_assignment=constrained_assignment)
        self.min_silhouette = Uniform(0.0, 1.0)
        self.max_speakers = max_speakers

    def cluster(self, embeddings, min_clusters=None, max_clusters=None, num_clusters=None):
        n = embeddings.shape[0]
        if n > MAX_LINKED:
            return self._cluster_subset(embeddings, min_clusters, max_clusters, num_clusters)
        if num_clusters is not None or n < 3:
            return super().cluster(embeddings, min_clusters=min_clusters, max_clusters=max_clusters,
                                   num_clusters=num_clusters)
        x = embeddings / np.maximum(np.linalg.norm(embeddings, axis=-1, keepdims=True), 1e-12)
        dendrogram = linkage(x, method=self.method, metric="cosine")
        min_size = min(self.min_cluster_size, max(1, round(0.1 * n)))
        lo = max(1, min_clusters or 1)
        hi = min(max_clusters or n, self.max_speakers, n - 1)

        rng = np.random.default_rng(0)
        subset = rng.choice(n, MAX_SCORED, replace=False) if n > MAX_SCORED else np.arange(n)
        best_k, best_score, best_labels = 1, -1.0, np.zeros(n, dtype=int)
        for k in range(max(2, lo), min(hi + 1 + 4 * min_size, n)):  # a few extra cuts: small clusters get absorbed
            labels = fcluster(dendrogram, k, criterion="maxclust") - 1
            # the cut that makes k clusters must be above the floor distance
            if dendrogram[n - k, 2] < self.threshold:
                break
            # absorbing small clusters may leave fewer than k: score the partition actually made
            labels = self._absorb_small(x, labels, min_size)
            made = len(np.unique(labels))
            if made < max(2, lo) or made > hi or len(np.unique(labels[subset])) < 2:
                continue
            score = silhouette_score(x[subset], labels[subset], metric="cosine")
            if score > best_score:
                best_k, best_score, best_labels = made, score, labels
        if best_k > 1 and (best_score >= self.min_silhouette or lo > 1):
            return np.unique(best_labels, return_inverse=True)[1]
        if lo > 1:  # asked for at least lo speakers but no clean partition: pyannote's own search
            return super().cluster(embeddings, min_clusters=min_clusters, max_clusters=max_clusters)
        return np.zeros(n, dtype=int)

    def _cluster_subset(self, embeddings, min_clusters, max_clusters, num_clusters):
        """Cluster a fixed random subset; every other embedding joins its nearest cluster centroid.

        Memory stays bounded however long the call (an hour at the default step yields up to
        10,800 embeddings); a speaker with 1 % of the call still has about 40 linked ones.
        """
        n = embeddings.shape[0]
        pick = np.sort(np.random.default_rng(0).choice(n, MAX_LINKED, replace=False))
        linked = np.unique(self.cluster(embeddings[pick], min_clusters, max_clusters, num_clusters),
                           return_inverse=True)[1]
        x = embeddings / np.maximum(np.linalg.norm(embeddings, axis=-1, keepdims=True), 1e-12)
        xp = x[pick]
        cent = np.vstack([xp[linked == k].mean(axis=0) for k in range(linked.max() + 1)])
        cent /= np.maximum(np.linalg.norm(cent, axis=-1, keepdims=True), 1e-12)
        labels = np.argmax(x @ cent.T, axis=1)
        labels[pick] = linked
        return labels

    @staticmethod
    def _absorb_small(x: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
        """Clusters smaller than min_size join the closest large centroid (as pyannote does)."""
        ids, counts = np.unique(labels, return_counts=True)
        large, small = ids[counts >= min_size], ids[counts < min_size]
        if len(large) == 0 or len(small) == 0:
            return labels
        cent = np.vstack([x[labels == k].mean(axis=0) for k in large])
        cent /= np.maximum(np.linalg.norm(cent, axis=-1, keepdims=True), 1e-12)
        out = labels.copy()
        for k in small:
            c = x[labels == k].mean(axis=0)
            out[labels == k] = large[int(np.argmax(cent @ c))]
        return out
