"""RunsPageModel without Qt: what each action may do with the selection and why not, and
the new total of a run being extended."""

from __future__ import annotations

from gui.runs.runs_page_model import RunsPageModel


def _run(tmp_path, name: str, status: str = "completed", **files: str) -> dict:
    folder = tmp_path / name
    folder.mkdir()
    for file in files.get("with", "").split():
        (folder / file).write_text("x")
    return {"run_dir": str(folder), "status": status, "epochs": 4, "epochs_completed": 4}


def test_actions_say_why_they_are_not_possible(tmp_path):
    page = RunsPageModel()
    assert not page.resume_state().enabled and not page.delete_state().enabled
    running = _run(tmp_path, "a", status="running", **{"with": "last.ckpt"})
    page.selected = [running]
    assert page.resume_state().tooltip == "This run is still training."
    assert "cannot be deleted" in page.delete_state().tooltip
    bare = _run(tmp_path, "b", status="stopped")
    page.selected = [bare]
    assert "no checkpoint" in page.resume_state().tooltip
    assert page.classify_state().tooltip == "This run has no model file yet."
    page.selected = [running, bare]
    assert page.deletable() == [bare] and not page.open_state().enabled


def test_resume_suggests_the_planned_total_or_half_as_many_again():
    page = RunsPageModel()
    assert page.resume_epochs({"epochs": 10, "epochs_completed": 3}) == (3, 10)
    assert page.resume_epochs({"epochs": 4, "epochs_completed": 4}) == (4, 9)
    assert page.resume_epochs({"epochs": 30, "epochs_completed": 30}) == (30, 45)


def test_an_extended_run_shows_its_new_total_until_the_folder_says_so(tmp_path):
    page = RunsPageModel()
    run = _run(tmp_path, "a")
    page.set_runs([run])
    page.extending(run["run_dir"], 12)
    assert page.runs[0]["epochs"] == 12  # at once, before training has set up
    assert page.set_runs([dict(run)])[0]["epochs"] == 12  # a rescan still shows the new total
    caught_up = {**run, "epochs": 12}
    assert page.set_runs([caught_up])[0]["epochs"] == 12
    assert page.set_runs([dict(run)])[0]["epochs"] == 4  # forgotten once the folder caught up


def test_delete_question_names_the_runs_with_separators(tmp_path):
    runs = [{"run_dir": str(tmp_path / f"run-{i}")} for i in range(1200)]
    text = RunsPageModel.delete_question(runs)
    assert text.startswith("Move these 1,200 runs to the trash?") and "… and 1,190 more" in text
