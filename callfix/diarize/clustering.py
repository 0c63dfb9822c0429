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
from pyannote.pipeline.parameter import Integer, Uniform
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
        return _cluster_subset(self, embeddings, MAX_LINKED, min_clusters, max_clusters, num_clusters)

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


class SpectralClustering(AgglomerativeClustering):
    """Spectral clustering of the speaker embeddings, the speaker count from the eigengap.

    The method CAM++'s authors pair with it (Park et al., "Auto-tuning spectral clustering for
    speaker diarization", 2019): a cosine affinity pruned to each embedding's nearest ``pval``
    share of neighbours (at least ``min_neighbours``), the unnormalised graph Laplacian, the number
    of speakers where its sorted eigenvalues jump most, k-means on that many eigenvectors. Unless
    that jump is decisive, clusters whose centroids are closer than ``merge_similarity`` are then
    merged: two clusters of one voice (a speaker on two microphones, or in two moods) are one speaker. Unlike a dendrogram cut
    at a fixed distance, the eigengap is relative to the recording, so the count held across
    synthetic voices (within-speaker cosine distance ~0.2) and real meeting speech (~0.3-0.6) where
    one fixed threshold could not serve both (scripts/der_eval.py).

    It keeps pyannote's filtering and centroid assignment (``BaseClustering.__call__``); only
    ``cluster`` differs. ``num_clusters`` fixes k (no merging); min/max bound the eigengap search
    and the merging.
    """

    def __init__(self, metric: str = "cosine", constrained_assignment: bool = False, max_speakers: int = 20):
        super().__init__(metric=metric, constrained_assignment=constrained_assignment)
        self.pval = Uniform(0.0, 0.5)
        self.min_neighbours = Integer(1, 100)
        self.merge_similarity = Uniform(0.0, 1.0)
        self.max_speakers = max_speakers

    def cluster(self, embeddings, min_clusters=None, max_clusters=None, num_clusters=None):
        n = embeddings.shape[0]
        if n > MAX_SPECTRAL:
            return _cluster_subset(self, embeddings, MAX_SPECTRAL, min_clusters, max_clusters, num_clusters)
        if n < 3:
            return np.zeros(n, dtype=int) if not num_clusters or num_clusters == 1 else np.arange(n) % num_clusters
        x = _unit(embeddings)
        lo = max(1, min_clusters or 1)
        hi = max(lo, min(max_clusters or self.max_speakers, self.max_speakers, n - 1))
        lam, vec = np.linalg.eigh(_laplacian(_pruned_affinity(x, self.pval, self.min_neighbours)))
        decisive = False
        if num_clusters is not None:
            k = int(min(num_clusters, n))
        else:
            gaps = np.diff(lam[: hi + 1])  # gaps[i]: jump after the (i+1)-th smallest eigenvalue
            k = lo + int(np.argmax(gaps[lo - 1: hi]))
            decisive = gaps[k - 1] >= DECISIVE_GAP * max(lam[k], 1e-12)
        if k <= 1:
            return np.zeros(n, dtype=int)
        from sklearn.cluster import KMeans

        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(vec[:, :k])
        if num_clusters is None:
            # After a decisive gap only near-identical centroids are one voice (a short recording's
            # sparse graph can fall apart into two pieces of one speaker).
            labels = _merge_close(x, labels, self.merge_similarity if not decisive else SAME_VOICE, lo)
        return np.unique(labels, return_inverse=True)[1]


SAME_VOICE = 0.85  # centroid cosine of two clusters of one voice; two close synthetic voices measured 0.72
MAX_SPECTRAL = 2000  # eigendecomposition is cubic: 2000 embeddings take ~2 s, 4000 ~15 s
# An eigengap this large relative to the next eigenvalue settles the count: no merging after it.
# On the 21 evaluation recordings every gap this decisive already had the right count, and two
# close synthetic voices (centroid cosine 0.72) in a 17 s clip would otherwise be merged.
DECISIVE_GAP = 0.7


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _pruned_affinity(x: np.ndarray, pval: float, min_neighbours: int) -> np.ndarray:
    """Cosine affinity keeping, per row, its ``max(pval * n, min_neighbours)`` largest values; symmetric.

    On a very short recording (fewer than ``2 * min_neighbours`` embeddings) a row keeps at most
    half the others: a graph where everyone neighbours everyone has no eigengap to find."""
    n = x.shape[0]
    a = x @ x.T
    keep = int(min(n, max(np.ceil(pval * n), min(min_neighbours, n // 2))))
    idx = np.argpartition(-a, keep - 1, axis=1)[:, :keep]
    rows = np.arange(n)[:, None]
    b = np.zeros_like(a)
    b[rows, idx] = a[rows, idx]
    b = 0.5 * (b + b.T)
    np.fill_diagonal(b, 0.0)
    return np.maximum(b, 0.0)


def _laplacian(a: np.ndarray) -> np.ndarray:
    return np.diag(a.sum(axis=1)) - a


def _merge_close(x: np.ndarray, labels: np.ndarray, similarity: float, min_clusters: int) -> np.ndarray:
    """Merge the two closest clusters (centroid cosine) while they are closer than ``similarity``."""
    labels = labels.copy()
    while True:
        ids = np.unique(labels)
        if len(ids) <= max(1, min_clusters):
            return labels
        cent = _unit(np.vstack([x[labels == k].mean(axis=0) for k in ids]))
        sim = cent @ cent.T
        np.fill_diagonal(sim, -np.inf)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < similarity:
            return labels
        labels[labels == ids[j]] = ids[i]


def _cluster_subset(clusterer, embeddings, size, min_clusters, max_clusters, num_clusters):
    """Cluster a fixed random subset; every other embedding joins its nearest cluster centroid.

    Memory and time stay bounded however long the call (an hour at the default step yields up to
    10,800 embeddings); a speaker with 1 % of the call still has about 20-40 of the subset.
    """
    n = embeddings.shape[0]
    pick = np.sort(np.random.default_rng(0).choice(n, size, replace=False))
    linked = np.unique(clusterer.cluster(embeddings[pick], min_clusters, max_clusters, num_clusters),
                       return_inverse=True)[1]
    x = _unit(embeddings)
    xp = x[pick]
    cent = _unit(np.vstack([xp[linked == k].mean(axis=0) for k in range(linked.max() + 1)]))
    labels = np.argmax(x @ cent.T, axis=1)
    labels[pick] = linked
    return labels
