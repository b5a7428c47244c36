"""Each assignment: the solution passes nbgrader, the generated student notebook is in sync,
leaks nothing, fails every graded cell, stops only at its gaps, and can run every cell twice; plausible wrong
answers meet a message that teaches. (That the student notebook with its gaps filled runs without an error in
JupyterLab is in test_browser.py.)"""

import copy
import io
import json
import re
import subprocess
from contextlib import ExitStack
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.utils import compute_checksum, determine_grade
from nbgrader.validator import Validator

from checked_outputs import mismatches
from conftest import ROOT
from coursetools.grader_runs import grader_run
from coursetools.trusted import (
    CHECKS, is_test_cell, judge_cells, lesson_checks, load, verdict, world_for,
)
from export_cases import WRONG_EXPORTS
from gap_message_cases import CASES, CELL_BEFORE_FAILED, CHALLENGE_CASES, RIGHT_IN_VALUE_ONLY
from helpers.challenge import HIDDEN
from helpers.exports import ELSEWHERE, INPUTS, INPUTS_ELSEWHERE
from lesson1_cases import RUN_FIRST
from lesson3_cases import CHALLENGE_CHECKS, KNOWN_WORLD
from notebook_tools import (
    ASSIGNMENTS, LiveNotebook, copy_course, passing_every_assert, coursetools, error_text, errors, execute, grade_id, is_graded,
    is_solution, nbgrader_config, region_lines, source_path, stderr, student_path, without_markers,
)


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def assignment(request):
    return request.param


# Gaps where running the student's cell again trains the same model further, as Keras does;
# their check says so and says to re-run the cell that builds the model first.
TRAINS_FURTHER = {"gap8_fit"}


@pytest.fixture(scope="module")
def exports(assignment, tmp_path_factory) -> Path:
    """Where the solution's graded cells export what they checked, as they do under nbgrader's autograde."""
    return tmp_path_factory.mktemp(f"exports-{assignment}")


@pytest.fixture(scope="module")
def handed_in(assignment, tmp_path_factory) -> Path:
    """Where the grader hands data in for its own runs after a cell (the kernel reads it at GRADING_INPUTS)."""
    return tmp_path_factory.mktemp(f"inputs-{assignment}")


@pytest.fixture(scope="module")
def executed_solution_twice(assignment, exports, handed_in):
    """The solution with every code cell run twice in a row, as students re-run cells, in a kernel that stays up for
    this lesson's tests; the graded cells export into `exports` as they would for the grader. It runs as nbgrader
    autogrades, so lesson 3 fits only LightGCN (K = 3), twice; its other fit cells print that they are skipped.

    TF_ENABLE_ONEDNN_OPTS=1 forces the start-up that CPUs with AVX-512 VNNI/BF16 or
    AMX take by themselves, so the stderr check holds on whatever CPU runs it."""
    nb = nbformat.read(source_path(assignment), as_version=4)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "code" and grade_id(cell) not in TRAINS_FURTHER:
            again = copy.deepcopy(cell)
            again.id = f"{cell.id[:50]}-again"
            cells.append(again)
    nb.cells = cells
    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as env:  # the kernel keeps the environment it started with
            env.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
            env.setenv("NBGRADER_EXECUTION", "autograde")
            env.setenv(ELSEWHERE, str(exports))
            env.setenv(INPUTS_ELSEWHERE, str(handed_in / INPUTS))
            live = stack.enter_context(LiveNotebook(nb, source_path(assignment).parent))
        yield live


def checks_of(assignment: str):
    """The lesson's own checks, which the grader runs outside the student's kernel."""
    return lesson_checks(ROOT / "solutions" / assignment / CHECKS)


def world_of(assignment: str):
    """The lesson's data as the grader recomputes it, lesson 3's hidden world being the tests' known one."""
    checks = checks_of(assignment)
    return world_for(checks, KNOWN_WORLD if hasattr(checks, "make_secret") else None)


@pytest.fixture(scope="module")
def grader_runs(assignment, executed_solution_twice, exports, handed_in) -> dict[str, dict]:
    """The grader's own runs after the solution's cells (lesson 3: its recommender on the hidden world), in the
    solution's live kernel, timed from here, with what they exported."""
    runs = {}
    for cell in executed_solution_twice.nb.cells:
        if is_test_cell(cell):
            ran = grader_run(checks_of(assignment), grade_id(cell), world_of(assignment), handed_in,
                             executed_solution_twice.run, exports)
            runs.update([ran] if ran else [])
    return runs


def test_the_graders_own_checks_pass_on_the_solution(assignment, executed_solution_twice, exports, grader_runs):
    graded = [grade_id(c) for c in executed_solution_twice.nb.cells if is_test_cell(c)]
    failures = {cell: verdict(checks_of(assignment), cell, exports, world_of(assignment), grader_runs)
                for cell in dict.fromkeys(graded)}
    assert not {cell: why for cell, why in failures.items() if why}


def test_the_graders_own_checks_fail_on_wrong_exports(assignment, executed_solution_twice, exports, grader_runs,
                                                      tmp_path):
    checks, cases = checks_of(assignment), WRONG_EXPORTS[assignment]
    assert set(cases) == {grade_id(c) for c in executed_solution_twice.nb.cells if is_test_cell(c)}, "a case per graded cell"
    passed = []
    for cell, (mistake, wrong) in cases.items():
        exported = dict(load(exports / f"{cell}.npz"))
        if HIDDEN in grader_runs:  # the challenge's mistakes are made on the hidden world's lists too
            exported["hidden_lists"] = grader_runs[HIDDEN]["lists"]
        made = wrong(exported, checks)
        runs = {**grader_runs, HIDDEN: {**grader_runs[HIDDEN], "lists": made.pop("hidden_lists")}} \
            if HIDDEN in grader_runs else grader_runs
        np.savez(tmp_path / f"{cell}.npz", **made)
        if verdict(checks, cell, tmp_path, world_of(assignment), runs) is None:
            passed.append(f"{cell}: {mistake}")
    assert not passed, f"the grader's own checks let these mistakes pass: {passed}"


def test_student_notebook_is_in_sync_with_a_fresh_generation():
    result = coursetools(ROOT, "student-notebooks", "--check", check=False)
    assert result.returncode == 0, f"run `make student-notebooks`:\n{result.stdout}{result.stderr}"


def test_sync_check_fails_when_the_student_notebook_drifts(tmp_path):
    copy_course(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    nb_path = tmp_path / "notebooks" / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source += "\nA hand edit."
    nbformat.write(nb, nb_path)
    result = coursetools(tmp_path, "student-notebooks", "--check", check=False)
    assert result.returncode == 1 and "out of date" in result.stdout


def test_regeneration_never_overwrites_a_students_uncommitted_work(tmp_path):
    copy_course(tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(git + ["add", "-A"], cwd=tmp_path, check=True)
    subprocess.run(git + ["commit", "-qm", "base"], cwd=tmp_path, check=True)
    nb_path = tmp_path / "notebooks" / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb"
    work = nb_path.read_text().replace("### implement here", "my answer")
    nb_path.write_text(work)
    result = coursetools(tmp_path, "student-notebooks", check=False)
    assert result.returncode == 1 and "refusing to overwrite" in result.stderr
    assert nb_path.read_text() == work


def test_no_solution_hidden_test_or_output_leaks_into_the_student_notebook(assignment):
    source = nbformat.read(source_path(assignment), as_version=4)
    text = student_path(assignment).read_text()
    student = nbformat.read(student_path(assignment), as_version=4)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    student_code = "\n".join(c.source for c in student.cells)
    for cell in source.cells:
        for line in region_lines(cell, "SOLUTION") + region_lines(cell, "HIDDEN TESTS"):
            assert line not in student_code, f"{grade_id(cell)} leaks: {line}"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code"), "stored outputs"


def test_every_gap_is_marked_and_states_its_contract(assignment):
    student = nbformat.read(student_path(assignment), as_version=4)
    gaps = [c for c in student.cells if is_solution(c)]
    assert gaps, "no gaps"
    for cell in gaps:
        assert "### implement here" in cell.source
        assert re.search(r"# (Produce|Give|Write) `", cell.source), f"{grade_id(cell)} states no contract"


def points_text(points: float) -> str:
    """How a cell states its points: "(1 point" or "(3 points"."""
    return f"({points:g} point{'s' if points != 1 else ''}"


def test_every_gap_and_check_states_the_points_it_carries(assignment):
    source = nbformat.read(source_path(assignment), as_version=4)
    points = {grade_id(c): c.metadata["nbgrader"]["points"] for c in source.cells if is_graded(c)}
    for cell in source.cells:
        if is_graded(cell):
            first = cell.source.splitlines()[0]
            assert points_text(points[grade_id(cell)]) in first, f"{grade_id(cell)}: {first!r}"
        if is_solution(cell):
            gap = re.search(r"# Gap (\d+)", cell.source).group(1)
            total = sum(p for name, p in points.items() if name.startswith(f"test_gap{gap}_"))
            assert f"# Gap {gap} {points_text(total)}" in cell.source, f"{grade_id(cell)} should say {total} points"


def test_solution_reproduces_its_checked_outputs(assignment, executed_solution_twice):
    """nbval's check of the stored outputs, on this run of the solution (its first run of each cell)."""
    found = mismatches(nbformat.read(source_path(assignment), as_version=4), executed_solution_twice.nb.cells)
    assert not found, "\n\n".join(f"{cell}\n{why}" for cell, why in found.items()) + "\n(after a change: make outputs)"


def test_solution_runs_clean_twice_with_nothing_on_stderr(executed_solution_twice):
    for cell in executed_solution_twice.nb.cells:
        assert not errors(cell), f"{grade_id(cell) or cell.source[:60]!r} raised {errors(cell)}"
        assert not stderr(cell), f"{grade_id(cell) or cell.source[:60]!r} wrote to stderr: {stderr(cell)}"


def test_solution_scores_full_marks_as_nbgrader_grades_it(executed_solution_twice):
    for cell in executed_solution_twice.nb.cells:
        if is_graded(cell) and cell.cell_type == "code":
            assert determine_grade(cell)[0] == cell.metadata["nbgrader"]["points"], grade_id(cell)


@pytest.fixture(scope="module")
def executed_student_notebook(assignment):
    """The student notebook as released, blank gaps and all, run top to bottom."""
    return execute(nbformat.read(student_path(assignment), as_version=4), student_path(assignment).parent)


def test_student_notebook_fails_every_graded_cell(executed_student_notebook):
    for cell in executed_student_notebook.cells:
        if is_graded(cell) and cell.cell_type == "code":
            assert determine_grade(cell)[0] == 0, f"{grade_id(cell)} passes on the blank notebook"
            assert cell.metadata["nbgrader"]["checksum"] == compute_checksum(cell), f"{grade_id(cell)} changed"


def test_student_notebook_stops_only_at_its_gaps(executed_student_notebook):
    ran = executed_student_notebook
    # A gap in plain code raises where it stands; a gap inside a function raises where it is called.
    assert any("NotImplementedError" in errors(c) for c in ran.cells)
    for cell in ran.cells:
        if not is_graded(cell):
            unexpected = set(errors(cell)) - {"NotImplementedError", "NameError"}
            assert not unexpected, f"{cell.source[:80]!r} raised {unexpected}"
        assert "Traceback" not in stderr(cell)


def test_nbgrader_validate_shows_a_long_assertion_message_whole(tmp_path):
    message = "expected shape (1000, 9); " + "got " + "x" * 200 + " END"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"assert False, {message!r}")])
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "grade_id": "check", "locked": True, "points": 1,
                                        "schema_version": 3, "solution": False, "task": False}
    nbformat.write(nb, tmp_path / "probe.ipynb")
    validator = Validator(config=nbgrader_config())
    validator.stream = io.StringIO()
    validator.validate_and_print(str(tmp_path / "probe.ipynb"))
    assert message in validator.stream.getvalue()


# Plausible wrong answers meet a visible check that says what was expected and what was got. Each case runs in the
# kernel where the lesson's solution ran (above): the gap with the wrong answer, then the student notebook's cells up
# to the check that must catch it, then the right answer again. The student's copy has no hidden tests, so each
# message here is what a student sees.
CASE_PARAMS = [pytest.param(CASES[case][0], case, id=case) for case in CASES]  # beside their lesson's tests
CHALLENGE_PARAMS = [pytest.param("lesson3_challenge", case, id=case) for case in CHALLENGE_CASES]
VALUE_ONLY_PARAMS = [pytest.param(RIGHT_IN_VALUE_ONLY[case][0], case, id=case) for case in RIGHT_IN_VALUE_ONLY]


@pytest.fixture
def student_kernel(executed_solution_twice):
    """The lesson's live kernel, as a student's: outside autograde, so that no check run here exports."""
    executed_solution_twice.run("import os\nos.environ.pop('NBGRADER_EXECUTION', None)")
    return executed_solution_twice


def as_the_grader(folder: Path) -> str:
    """Code that puts the live kernel in autograde, exporting into `folder` (undone by AS_A_STUDENT)."""
    return f"import os\nos.environ['NBGRADER_EXECUTION'] = 'autograde'\nos.environ[{ELSEWHERE!r}] = {str(folder)!r}"


AS_A_STUDENT = "import os\nos.environ.pop('NBGRADER_EXECUTION', None)"


def run_wrong_answer(kernel: LiveNotebook, case: tuple, then: list[str] = ()) -> tuple:
    """Run a case's gap with its wrong answer in the live `kernel`, then the student cells up to its check and the
    code in `then`; put the right answer back, as a student. Returns (the gap's run, the check's run, then's runs)."""
    lesson, gap, right, wrong, check, words = case
    source = nbformat.read(source_path(lesson), as_version=4)
    student = nbformat.read(student_path(lesson), as_version=4)
    at = {grade_id(c): i for i, c in enumerate(student.cells) if grade_id(c)}
    answer = without_markers(source.cells[at[gap]].source)
    assert right in answer, f"{right!r} is not in the solution of {gap}"
    later = [c.source for c in student.cells[at[gap] + 1: at[check] + 1] if c.cell_type == "code"]
    first = [student.cells[at[RUN_FIRST[gap]]].source] if gap in RUN_FIRST else []
    try:
        for cell in first:
            kernel.run(cell)
        gap_run = kernel.run(answer.replace(right, wrong))
        for cell in later[:-1]:
            kernel.run(cell)
        caught = kernel.run(later[-1])
        after = [kernel.run(code) for code in then]
    finally:  # the right answer again, as a student, for the next case
        kernel.run(AS_A_STUDENT)
        for cell in first + [answer] + later:
            kernel.run(cell)
    assert not errors(gap_run), f"the wrong answer itself does not run: {error_text(gap_run)}"
    assert errors(caught) == ["AssertionError"], error_text(caught)
    for word in words:
        assert word in error_text(caught), f"{word!r} is not in the message:\n{error_text(caught)}"
    width = nbgrader_config().Validator.width  # `nbgrader validate` cuts longer lines
    assert all(len("    " + line) <= width - 3 for line in error_text(caught).splitlines()), error_text(caught)
    return gap_run, caught, after


@pytest.mark.parametrize("assignment, case", CASE_PARAMS, indirect=["assignment"], scope="module")
def test_a_wrong_answer_meets_a_message_that_teaches(student_kernel, assignment, case, tmp_path):
    """...and, with every assert of its check turned into one that passes (an input transformer's cheat), still
    fails the grader's own check of that cell, outside the kernel: the cheat earns nothing."""
    lesson, gap, right, wrong, check, words = CASES[case]
    source = nbformat.read(source_path(lesson), as_version=4)
    instructor_check = without_markers(next(c.source for c in source.cells if grade_id(c) == check))
    _, _, (_, cheated) = run_wrong_answer(student_kernel, CASES[case],
                                          [as_the_grader(tmp_path), passing_every_assert(instructor_check)])
    assert errors(cheated) or verdict(checks_of(lesson), check, tmp_path, world_of(lesson)), \
        f"with its asserts passing, {check} lets this wrong answer through: the grader's own check misses it"


@pytest.mark.parametrize("assignment, case", VALUE_ONLY_PARAMS, indirect=["assignment"], scope="module")
def test_an_answer_right_only_in_value_meets_a_message_naming_its_kind(student_kernel, assignment, case):
    """A dense matrix where the lesson asks for a sparse one, an np.matrix for an array: the grader sees only the
    exported numbers, which are right, so the visible check is what tells the student."""
    run_wrong_answer(student_kernel, RIGHT_IN_VALUE_ONLY[case])


@pytest.mark.parametrize("assignment", ["lesson3_challenge"], indirect=True, scope="module")
@pytest.mark.parametrize("check", CELL_BEFORE_FAILED)
def test_an_in_use_check_names_the_cell_before_it_when_that_cell_failed(student_kernel, assignment, check):
    """nbgrader validate shows only graded cells: a check whose input a failed cell never made says which cell to run."""
    remove, restore, words = CELL_BEFORE_FAILED[check]
    student = nbformat.read(student_path(assignment), as_version=4)
    cell = next(c.source for c in student.cells if grade_id(c) == check)
    assert not errors(student_kernel.run(remove))
    try:
        caught = student_kernel.run(cell)
    finally:
        assert not errors(student_kernel.run(restore))
    assert errors(caught) == ["AssertionError"], error_text(caught)
    for word in words:
        assert word in error_text(caught), f"{word!r} is not in the message:\n{error_text(caught)}"
    assert not errors(student_kernel.run(cell)), "with its input back, the check passes again"


@pytest.mark.parametrize("assignment, case", CHALLENGE_PARAMS, indirect=["assignment"], scope="module")
def test_the_challenge_is_scored_outside_the_kernel(student_kernel, assignment, case, handed_in, tmp_path):
    """The challenge (lesson 3, gap 7) as nbgrader grades it: the checks in the kernel, then the grader's run of the
    recommender on the hidden world and its own checks outside the kernel."""
    answer, must_fail = CHALLENGE_CASES[case]
    source = nbformat.read(source_path(assignment), as_version=4)
    instructor = {grade_id(c): c for c in source.cells if grade_id(c)}
    solution = without_markers(instructor["gap7_challenge"].source)
    checks = checks_of(assignment)
    try:
        student_kernel.run("for _name in ('mine', 'recommend'): globals().pop(_name, None)")
        student_kernel.run(as_the_grader(tmp_path))
        assert not errors(student_kernel.run(answer or solution))
        ran = {check: student_kernel.run(without_markers(instructor[check].source)) for check in CHALLENGE_CHECKS}
        for check, cell in ran.items():
            cell.metadata = instructor[check].metadata
        run = None if errors(ran["test_gap7_contract"]) else \
            grader_run(checks, "test_gap7_contract", world_of(assignment), handed_in, student_kernel.run, tmp_path)
    finally:
        student_kernel.run(AS_A_STUDENT)
        student_kernel.run(solution)
    reasons, figures = judge_cells(list(ran.values()), checks, tmp_path, world_of(assignment), dict([run] if run else []))
    failed = {check for check, cell in ran.items() if errors(cell)} | set(reasons)
    assert failed == must_fail, {check: error_text(ran[check]) or reasons.get(check) for check in failed ^ must_fail}
    if "test_gap7_contract" not in failed:
        report = "".join(o.get("text", "") for o in ran["test_gap7_contract"].outputs)
        assert "this world: Recall@20" in report and "hidden world" not in report, report
        assert 0.2 < figures["hidden Recall@20"] < figures["ceiling Recall@20"] and not figures["flag"], figures


# Training multiplies by A_hat with TensorFlow's CSR kernel only where that gives what the student's propagate gives,
# layers and gradient.
PROPAGATION_CHECK = '''
import json as _json
_right = propagate
def propagate(A_hat, E0, n_layers):  # the sum of the layers, not their mean: gap 3's check names it
    return _right(A_hat, E0, n_layers) * (n_layers + 1)
_model = LightGCN(A_hat, world.n_users, 3)
_summed = float(tf.reduce_max(tf.abs(tf.concat(_model.embeddings(), 0) - propagate(A_hat, _model.E0, 3))))
def propagate(A_hat, E0, n_layers):  # the right layers, but a gradient of E0 alone: the gradient check names it
    return E0 + tf.stop_gradient(_right(A_hat, E0, n_layers) - E0)
_stopped = LightGCN(A_hat, world.n_users, 3).propagation.__name__
propagate = _right
_model = LightGCN(A_hat, world.n_users, 3)
_mean = float(tf.reduce_max(tf.abs(tf.concat(_model.embeddings(), 0) - propagate(A_hat, _model.E0, 3))))
print("RESULT", _json.dumps({"summed": _summed, "mean": _mean, "fast": _model.propagation.__name__, "stopped": _stopped}))
'''


def run_for_result(kernel: LiveNotebook, code: str) -> tuple[str, str]:
    """Run `code`, which prints "RESULT " and then its result, in the live `kernel`, without an error: (everything it
    printed, what follows RESULT)."""
    cell = kernel.run(code)
    assert not errors(cell), error_text(cell)
    text = "".join(o.get("text", "") for o in cell.outputs)
    return text, text.split("RESULT ", 1)[1]


@pytest.mark.parametrize("assignment", ["lesson3_challenge"], indirect=True, scope="module")
def test_lightgcn_trains_with_the_students_own_propagate_unless_the_fast_kernel_agrees(student_kernel):
    text, result = run_for_result(student_kernel, PROPAGATION_CHECK)
    assert text.count("training uses your propagate as written") == 2, text
    result = json.loads(result)
    assert result["summed"] == 0, "with a wrong propagate, the model must propagate with it, as the student wrote it"
    assert result["stopped"] == "<lambda>", "right layers with a wrong gradient must train with the student's propagate"
    assert result["fast"] == "symmetric_mean_of_layers" and result["mean"] < 1e-5, result


# XLA compiles the batch's gradients only where it can compile the student's bpr_loss; else training runs it as is.
XLA_CHECK = '''
import json as _json
_right = bpr_loss
def bpr_loss(positive, negative):  # right, with a print XLA cannot compile
    tf.print("batch of", tf.size(positive), output_stream="file:///dev/null")
    return _right(positive, negative)
_printing = gradients_for(bpr_loss)
_model, _curve = fit_bpr(1, 1e-4, epochs=1, every=1)
bpr_loss = _right
print("RESULT", _json.dumps({"printing": _printing is batch_gradients, "right": gradients_for(bpr_loss) is batch_gradients,
                             "loss": float(_curve["loss"].iloc[0])}))
'''


@pytest.mark.parametrize("assignment", ["lesson3_challenge"], indirect=True, scope="module")
def test_a_bpr_loss_that_xla_cannot_compile_is_trained_uncompiled(student_kernel):
    text, result = run_for_result(student_kernel, XLA_CHECK)
    assert "without XLA, which cannot compile PrintV2" in text, text
    result = json.loads(result)
    assert not result["printing"] and result["right"], "only the printing bpr_loss should run uncompiled"
    assert 0 < result["loss"] < np.log(2), "one epoch should bring the loss below log 2, a random ranking's"


@pytest.mark.parametrize("assignment", ["lesson3_challenge"], indirect=True, scope="module")
def test_popularity_scores_the_same_in_the_table_and_in_the_challenges_report(student_kernel):
    _, result = run_for_result(student_kernel, 'print("RESULT", comparison.loc["popularity", "Recall@20"], '
                               'helpers.score_challenge(fit_recommender, seed=SEED, reference_recall=0.3364).popularity_recall)')
    table, report = map(float, result.split())
    assert table == pytest.approx(report, abs=1e-12), "popularity's ties are broken differently in the two"
