"""MkDocs hooks of the docs site (mkdocs.yml): the README as home page, the notebooks, the API reference.

- The README becomes the home page and the notebooks of notebooks/ become pages, read from
  where they are (no copies in docs/).
- A link to a file of the repository outside docs/ (an example, a test, a script) becomes
  its path as code: the site holds the docs, not the sources.
- ``reference.md`` is written here: one entry per public name of each module of
  ``REFERENCE``, from its docstring, under the name users import it by
  (``micrograd44.Value``, ``micrograd44.nn.MLP``, ``viz.draw_graph``), wherever its file is:
  the page imports each module and reads each class's and function's real place from it.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

REPOSITORY = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPOSITORY / "notebooks").glob("*.ipynb"))
REFERENCE_PAGE = "reference.md"

# The public modules, in the order the reference lists them, each with what it holds. A name
# re-exported by several (micrograd44.MLP is micrograd44.nn.MLP) is documented at its first.
REFERENCE = {
    "micrograd44": "the engine: `Value`, the derivatives, the modules, the errors",
    "micrograd44.nn": "modules: `Module`, `Neuron`, `Layer`, `MLP`",
    "micrograd44.optim": "optimizers with PyTorch's update rules",
    "micrograd44.losses": "mean-reduced losses",
    "micrograd44.data": "data sets",
    "micrograd44.training": "the general training loop: `fit`, `Trainer`, `History`",
    "micrograd44.training.course": "the course recipe: `Recipe`, `run`",
    "micrograd44.training.session": "training a few epochs at a time",
    "micrograd44.micrograd.engine": "micrograd's `Value`, building micrograd's graphs",
    "micrograd44.micrograd.nn": "micrograd's `Module`, `Neuron`, `Layer`, `MLP`",
    "micrograd44.derivative_check": "derivatives as formulas, and hand-derived ones checked",
    "micrograd44.compiled": "trace a step once, replay it as Python, numpy or C",
    "micrograd44.sweep": "grids of recipes on local processes or Dask",
    "micrograd44.testing": "compare graphs and modules with PyTorch float64",
    "viz": "pictures and the training replay",
}

# a Markdown link or image: [text](target)
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


class IndexingIsNotALink(logging.Filter):
    """Keeps autorefs from failing the build on Python indexing in a docstring, `x[i][j]`, read as a link.

    Docstrings are plain text, where ``hessian[i][j]`` or ``[0, 3][:3]`` means indexing; Markdown
    reads it as a reference link, autorefs finds no such target and warns, and the page shows
    the text as written. Those warnings become notes (INFO); every other warning stays.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Lower a docstring's unresolved cross-reference to INFO; pass every other record."""
        message = record.getMessage()
        if (
            record.levelno == logging.WARNING
            and " from " in message
            and "Could not find cross-reference" in message
        ):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def on_startup(command: str, dirty: bool) -> None:
    """Install the filter on autorefs' loggers (a filter acts on its own logger's records only)."""
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("mkdocs.plugins.mkdocs_autorefs"):
            logging.getLogger(name).addFilter(IndexingIsNotALink())


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files: Files, config) -> Files:
    """Add the README as index.md, the notebooks under notebooks/, and the generated reference page."""
    files.append(File.generated(config, "index.md", abs_src_path=str(REPOSITORY / "README.md")))
    for notebook in NOTEBOOKS:  # read from the repository root: their path there is their page's
        path = notebook.relative_to(REPOSITORY).as_posix()
        files.append(File(path, str(REPOSITORY), config["site_dir"], config["use_directory_urls"]))
    files.append(File.generated(config, REFERENCE_PAGE, content=reference_markdown()))
    return files


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    """Point the page's links at the site's pages, or write links to files outside docs/ as code."""
    from_readme = page.file.src_uri == "index.md"
    return LINK.sub(lambda match: site_link(match, from_readme), markdown)


def site_link(match: re.Match, from_readme: bool) -> str:
    """One link as the site needs it (see ``on_page_markdown``)."""
    bang, text, target = match.groups()
    if re.match(r"[a-z]+:|#", target):  # a URL or an anchor on this page
        return match.group(0)
    repository_path = target if from_readme else _from_docs(target)
    if repository_path is None:  # inside docs/: MkDocs resolves it
        return match.group(0)
    if repository_path.startswith("docs/"):
        return f"{bang}[{text}]({repository_path[len('docs/') :]})"
    if repository_path.startswith("notebooks/") and repository_path.endswith(".ipynb"):
        return f"{bang}[{text}]({repository_path})"
    if repository_path == "README.md":
        return f"{bang}[{text}](index.md)"
    return text if text.startswith("`") else f"`{text}`"


def _from_docs(target: str) -> str | None:
    """The repository path of a link from a page of docs/ that leaves docs/, else None."""
    if not target.startswith("../"):
        return None
    return target[len("../") :]


def reference_markdown() -> str:
    """The API reference page: a section per public module, an entry per public name."""
    lines = [
        "# API reference",
        "",
        "Every public name, from its docstring, under the path you import it by. "
        "[API at a glance](api.md) is the one-page summary.",
        "",
    ]
    documented: dict[int, str] = {}
    for module_name, summary in REFERENCE.items():
        module = importlib.import_module(module_name)
        lines += [f"## `{module_name}` {{ #{module_name} }}", "", f"{summary}.", ""]
        for name in public_names(module):
            obj = getattr(module, name)
            public = f"{module_name}.{name}"
            if inspect.ismodule(obj):
                section = obj.__name__ if obj.__name__ in REFERENCE else None
                lines += [
                    f"- `{public}`: the module" + (f" [`{section}`](#{section})" if section else ""),
                    "",
                ]
                continue
            if id(obj) in documented and (inspect.isclass(obj) or inspect.isroutine(obj)):
                lines += [f"- `{public}`: the same as `{documented[id(obj)]}`", ""]
                continue
            documented.setdefault(id(obj), public)
            if inspect.isclass(obj) or inspect.isroutine(obj):
                lines += [
                    f"::: {obj.__module__}.{obj.__qualname__}",
                    "    options:",
                    f'      heading: "{public}"',
                    "",
                ]
            else:  # a constant: its value (griffe cannot always find where a computed one is made)
                lines += [f"### `{public}`", "", "```python", f"{public} = {short_repr(obj)}", "```", ""]
    return "\n".join(lines)


def public_names(module) -> list[str]:
    """The module's ``__all__``, or else the public names it defines."""
    if hasattr(module, "__all__"):
        return [name for name in module.__all__ if not name.startswith("__")]
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    ]


def short_repr(value, limit: int = 300) -> str:
    """The value's repr, cut at ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
