"""Lesson 3's LightGCN training as the notebook does it, beside the loop it replaced, on lesson 3's own world.

    python scripts/benchmark_lightgcn.py [--runs 3] [--layers 3]

A fresh kernel runs the solution notebook up to `fit_bpr` (world, split, the student's functions, training loop),
then trains LightGCN twice with the same settings (K = 3, 64 dimensions, batch 8,192, Adam at 0.01, L2 1e-4, early
stopping on validation):
- before: the loop as it was, the baseline: each step's layers by the student's `propagate` itself
  (tf.sparse.sparse_dense_matmul on a SparseTensor), the L2 penalty on the batch's gathered layer-0 rows, a graph
  traced for each batch size, and each epoch's negatives checked against R_train by scipy's fancy indexing;
- now: the notebook's `fit_bpr`: the same layers by TensorFlow's CSR kernel, and their gradient as the same mean
  of layers of the incoming gradient (A_hat is symmetric) (`fast_propagation`, used only where both agree with
  `propagate` and its gradient), the batch's loss and its gradients compiled by XLA (`batch_gradients`, the L2 sum
  as each node's squared norm times its count in the batch), the steps between two checks in one TensorFlow call,
  and the negatives checked against a dense 0/1 matrix (the same draws).
Prints, as medians of --runs, each fit's seconds, its ratio to the floor (a fresh kernel importing TensorFlow and
TFRS, measured in the same run) and the speed-up; then, from the first run, the largest difference between the two
models' embeddings on the same E0, and the test Recall@20 and epochs each reaches.
"""

from __future__ import annotations

import argparse
import json
import statistics

import nbformat

from benchmark_floor import ROOT, floor_once, median_of, run_cells

LESSON = ROOT / "solutions" / "lesson3_challenge" / "lesson3_challenge.ipynb"
# The loop as it was before the notebook's faster one (lesson 3 until December 2026), kept here as the baseline,
# with the model as it was: each layer by the student's propagate (the COO kernel), differentiated by the tape.
BASELINE = '''
class BeforeLightGCN(LightGCN):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.propagation = lambda E0: propagate(self.A_hat, E0, self.n_layers)


def fit_bpr_before(n_layers: int, l2: float, epochs: int = 60, batch_size: int = 8192, learning_rate: float = 0.01,
                   every: int = 5, patience: int = 2) -> tuple[LightGCN, pd.DataFrame]:
    # (the model with its best validation weights, its learning curve), trained with BPR on R_train.
    helpers.seed_everything(0)
    model = BeforeLightGCN(A_hat, world.n_users, n_layers)
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    users, positives = (ids.astype(np.int64) for ids in R_train.nonzero())
    n_users = world.n_users

    @tf.function
    def step(u, i, j):
        with tf.GradientTape() as tape:
            user_vectors, track_vectors = model.embeddings()
            eu = tf.gather(user_vectors, u)
            loss = bpr_loss(tf.reduce_sum(eu * tf.gather(track_vectors, i), axis=1),
                            tf.reduce_sum(eu * tf.gather(track_vectors, j), axis=1))
            layer0 = tf.gather(model.E0, tf.concat([u, n_users + i, n_users + j], axis=0))
            total = loss + l2 * tf.reduce_sum(layer0 ** 2) / 2 / tf.cast(tf.size(u), tf.float32)
        optimizer.apply_gradients([(tape.gradient(total, model.E0), model.E0)])
        return loss

    rng = np.random.default_rng(0)
    curve, best, checks_without_gain = [], (-1.0, None), 0
    for epoch in range(1, epochs + 1):
        negatives = rng.integers(world.n_tracks, size=len(users))
        while (clash := np.flatnonzero(np.asarray(R_train[users, negatives]).ravel())).size:  # played: draw again
            negatives[clash] = rng.integers(world.n_tracks, size=clash.size)
        order = rng.permutation(len(users))
        losses = [float(step(users[b], positives[b], negatives[b]))
                  for b in np.array_split(order, -(-len(order) // batch_size))]
        if epoch % every == 0:
            recall = evaluate(model.scorer(), R_valid)[f"Recall@{K}"].mean()
            curve.append({"epoch": epoch, "loss": np.mean(losses), f"validation Recall@{K}": recall})
            print(f"  epoch {epoch:3d}  loss {np.mean(losses):.4f}  validation Recall@{K} {recall:.4f}")
            if recall > best[0]:
                best, checks_without_gain = (recall, model.E0.numpy()), 0
            elif (checks_without_gain := checks_without_gain + 1) >= patience:
                break
    model.E0.assign(best[1])
    return model, pd.DataFrame(curve).set_index("epoch")
'''
MEASURE = '''
import json, time
probe = LightGCN(A_hat, world.n_users, {layers})
gap = float(tf.reduce_max(tf.abs(probe.propagation(probe.E0) - propagate(A_hat, probe.E0, {layers}))))
start = time.perf_counter()
model, curve = {fit}({layers}, l2=1e-4)
seconds = time.perf_counter() - start
recall = float(evaluate(model.scorer(), R_test)[f"Recall@{{K}}"].mean())
print("RESULT", json.dumps({{"seconds": seconds, "recall": recall, "gap": gap, "epochs": int(curve.index.max())}}))
'''
FITS = {"before": "fit_bpr_before", "now": "fit_bpr"}


def lesson_cells() -> list[nbformat.NotebookNode]:
    """The solution's code cells up to fit_bpr, without their hidden parts (those only export for the grader)."""
    cells = []
    for cell in nbformat.read(LESSON, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        cells.append(nbformat.v4.new_code_cell(source.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")))
        if source.startswith("def fit_bpr"):
            return cells
    raise ValueError(f"no cell defining fit_bpr in {LESSON}")


def measure(layers: int) -> dict[str, dict]:
    """One fresh kernel: each fit's seconds, test Recall@20 and the largest embedding difference between the two."""
    cells = lesson_cells()
    cells.append(nbformat.v4.new_code_cell(BASELINE))
    cells += [nbformat.v4.new_code_cell(MEASURE.format(fit=fit, layers=layers)) for fit in FITS.values()]
    nb = nbformat.v4.new_notebook(cells=cells)
    run_cells(nb, LESSON.parent)
    results = {}
    for name, cell in zip(FITS, nb.cells[-len(FITS):]):
        text = "".join(o.get("text", "") for o in cell.outputs)
        line = next((line for line in text.splitlines() if line.startswith("RESULT ")), None)
        if line is None:
            raise RuntimeError(f"{name}: no result; its outputs: {cell.outputs}")
        results[name] = json.loads(line.removeprefix("RESULT "))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--layers", type=int, default=3)
    args = parser.parse_args()
    floor = median_of(args.runs, floor_once)
    runs = [measure(args.layers) for _ in range(args.runs)]
    seconds = {name: statistics.median(run[name]["seconds"] for run in runs) for name in FITS}
    print(f"floor: kernel + import tensorflow, tfrs   {floor:6.2f} s")
    print(f"LightGCN (K = {args.layers}), fit_bpr on lesson 3's world (seed 0), median of {args.runs}:")
    for name in FITS:
        first = runs[0][name]
        print(f"  {name:<6} {seconds[name]:6.2f} s  {seconds[name] / floor:4.2f}x floor  "
              f"test Recall@20 {first['recall']:.4f}  epochs {first['epochs']}")
    print(f"  speed-up {seconds['before'] / seconds['now']:.1f}x; test Recall@20 differs by "
          f"{abs(runs[0]['now']['recall'] - runs[0]['before']['recall']):.4f}; largest difference between the two "
          f"models' embeddings on the same E0 {runs[0]['now']['gap']:.1e}")


if __name__ == "__main__":
    main()
