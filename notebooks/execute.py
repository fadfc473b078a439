"""Run the notebooks top to bottom and save them with their outputs (so they render on a repository page).

    python notebooks/execute.py                        # every notebook here
    python notebooks/execute.py notebooks/xor_44.ipynb

The tests run them the same way (tests/repository/test_notebooks_run.py), into a temporary folder.
"""

import sys
from pathlib import Path

import nbclient
import nbformat

FOLDER = Path(__file__).resolve().parent
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
# the longest a cell may run, in seconds (the course's 8004 steps take about 2)
CELL_TIMEOUT = 300


def execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    """The notebook at path, run top to bottom in a fresh kernel working in cwd."""
    notebook = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(cwd)}}
    nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, resources=resources).execute()
    for cell in notebook.cells:  # an unchanged notebook run again gives the same file
        cell.metadata.pop("execution", None)  # no timestamps
        if cell.cell_type == "code":
            cell.outputs = _joined_streams(cell.outputs)
    return notebook


def _joined_streams(outputs: list) -> list:
    """The outputs with each run of stdout (or stderr) pieces joined into one, however it was flushed."""
    joined: list = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if output.output_type == "stream" and previous is not None and previous.output_type == "stream":
            if previous.name == output.name:
                previous.text += output.text
                continue
        joined.append(output)
    return joined


def main(paths: list[str]) -> int:
    """Run each notebook in its own folder and write it back with its outputs."""
    for path in [Path(p).resolve() for p in paths] or NOTEBOOKS:
        notebook = execute(path, path.parent)
        nbformat.write(notebook, path)
        print(f"ran {path.relative_to(FOLDER.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
