"""Lesson 3's LightGCN training, today's loop beside faster forms of the same propagation, on lesson 3's own world.

    python scripts/benchmark_lightgcn.py [--runs 3] [--layers 3]

A fresh kernel runs the solution notebook up to `fit_bpr` (world, split, the student's functions, training loop),
then trains LightGCN with `fit_bpr` unchanged (K = 3, 64 dimensions, batch 8,192, Adam at 0.01, L2 1e-4, early
stopping), once per form of the model's `embeddings()`:
- today: `propagate(A_hat, E0, K)` (tf.sparse.sparse_dense_matmul on a SparseTensor), differentiated by the tape;
- matrix: propagation is linear in E0, so `propagate(A_hat, E0, K) = M E0` with `M = propagate(A_hat, I, K)`,
  computed once with the same function; each step multiplies by the dense M;
- csr: the same layers with TensorFlow's CSR sparse kernel (CSRSparseMatrix) instead of the COO one;
- csr+lin: as csr, its gradient from linearity (A_hat is symmetric, so the gradient of M E0 is M applied to the
  upstream gradient) instead of the tape through each layer.
Prints, as medians of --runs, the fit's seconds, its ratio to today's and to the floor (a fresh kernel importing
TensorFlow and TFRS), the largest difference between each form's embeddings and today's on the same E0, and the
test Recall@20 each model reaches.
"""

from __future__ import annotations

import argparse
import json
import statistics

import nbformat

from benchmark_floor import ROOT, floor_once, median_of, run_cells

LESSON = ROOT / "solutions" / "lesson3_challenge" / "lesson3_challenge.ipynb"
FORMS = '''
from tensorflow.python.ops.linalg.sparse import sparse_csr_matrix_ops as csr_ops


class MatrixLightGCN(LightGCN):
    # propagate is linear in E0: M = propagate(A_hat, I, K) once, then every step multiplies by M.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.M = propagate(self.A_hat, tf.eye(self.A_hat.shape[0]), self.n_layers)

    def embeddings(self):
        final = tf.matmul(self.M, self.E0)
        return final[: self.n_users], final[self.n_users:]


class CsrLightGCN(LightGCN):
    # The same mean of layers, each layer a product with A_hat by TensorFlow's CSR kernel.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.csr = csr_ops.CSRSparseMatrix(self.A_hat)

    def mean_of_layers(self, E0):
        layers = [E0]
        for _ in range(self.n_layers):
            layers.append(csr_ops.matmul(self.csr, layers[-1]))
        return tf.add_n(layers) / (self.n_layers + 1)

    def embeddings(self):
        final = self.mean_of_layers(self.E0)
        return final[: self.n_users], final[self.n_users:]


class LinearCsrLightGCN(CsrLightGCN):
    # As csr, with the gradient from linearity: A_hat is symmetric, so the gradient of the layer mean M E0 with
    # respect to E0, for an upstream gradient G, is M G: the same propagation, with no tape through its layers.
    def embeddings(self):
        @tf.custom_gradient
        def mean_of_layers(E0):
            return CsrLightGCN.mean_of_layers(self, E0), lambda upstream: CsrLightGCN.mean_of_layers(self, upstream)

        final = mean_of_layers(self.E0)
        return final[: self.n_users], final[self.n_users:]


TODAY = LightGCN
'''
MEASURE = '''
import json, time
LightGCN = {form}
probe = LightGCN(A_hat, world.n_users, {layers})
gap = max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(probe.embeddings(), TODAY.embeddings(probe)))
start = time.perf_counter()
model, curve = fit_bpr({layers}, l2=1e-4)
seconds = time.perf_counter() - start
recall = float(evaluate(model.scorer(), R_test)[f"Recall@{{K}}"].mean())
print("RESULT", json.dumps({{"seconds": seconds, "recall": recall, "gap": gap, "epochs": int(curve.index.max())}}))
LightGCN = TODAY
'''


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


def measure(forms: list[str], layers: int) -> dict[str, dict]:
    """One fresh kernel: each form's fit seconds, test Recall@20 and largest embedding difference from today's."""
    cells = lesson_cells() + [nbformat.v4.new_code_cell(FORMS)]
    cells += [nbformat.v4.new_code_cell(MEASURE.format(form=form, layers=layers)) for form in forms]
    nb = nbformat.v4.new_notebook(cells=cells)
    run_cells(nb, LESSON.parent)
    results = {}
    for form, cell in zip(forms, nb.cells[-len(forms):]):
        text = "".join(o.get("text", "") for o in cell.outputs)
        line = next((line for line in text.splitlines() if line.startswith("RESULT ")), None)
        if line is None:
            raise RuntimeError(f"{form}: no result; its outputs: {cell.outputs}")
        results[form] = json.loads(line.removeprefix("RESULT "))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--layers", type=int, default=3)
    args = parser.parse_args()
    forms = {"today": "TODAY", "matrix": "MatrixLightGCN", "csr": "CsrLightGCN", "csr+lin": "LinearCsrLightGCN"}
    floor = median_of(args.runs, floor_once)
    runs = [measure(list(forms.values()), args.layers) for _ in range(args.runs)]
    today = statistics.median(run["TODAY"]["seconds"] for run in runs)
    print(f"floor: kernel + import tensorflow, tfrs   {floor:6.2f} s")
    print(f"LightGCN (K = {args.layers}), fit_bpr on lesson 3's world (seed 0), median of {args.runs}:")
    for name, form in forms.items():
        seconds = statistics.median(run[form]["seconds"] for run in runs)
        first = runs[0][form]
        print(f"  {name:<7} {seconds:6.2f} s  {today / seconds:4.1f}x today's speed  {seconds / floor:4.2f}x floor  "
              f"test Recall@20 {first['recall']:.4f}  epochs {first['epochs']}  "
              f"largest embedding difference from today's {first['gap']:.1e}")


if __name__ == "__main__":
    main()
