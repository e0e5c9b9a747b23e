"""A statute library read from outside git: a local mirror of a public repository of Chinese law texts.

The texts are evaluation data only; nothing of them is committed. The mirror is a bare git directory
of LawRefBook/Laws (one Markdown file per statute: ``# title``, its history lines, ``<!-- INFO END -->``,
``## 第X章`` headings and one paragraph per 条/款). Where it is: ``ASSISTANT_LAWS_GIT``, else
``.mirror/LawRefBook+Laws/repo`` beside the repository's parent or grandparent folder.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_MIRROR = Path(".mirror") / "LawRefBook+Laws" / "repo"
_ARTICLE = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+条)\s*(.*)$")


class NoLawLibrary(RuntimeError):
    """No mirror of the law texts on this machine."""


@dataclass(frozen=True)
class Article:
    law: str  # the statute's title, e.g. 中华人民共和国行政许可法
    label: str  # 第三十二条
    text: str  # the article's paragraphs (款), label first
    folder: str  # the library's folder, e.g. 行政法 or DLC/重庆地方法规/地方性法规/重庆


def law_git_dir() -> Path:
    """The mirror's git directory; NoLawLibrary when there is none."""
    candidates = [Path(os.environ["ASSISTANT_LAWS_GIT"])] if os.environ.get("ASSISTANT_LAWS_GIT") else []
    candidates += [REPO.parent / _MIRROR, REPO.parent.parent / _MIRROR]
    for candidate in candidates:
        if (candidate / "HEAD").is_file():
            return candidate
    raise NoLawLibrary(f"no law library mirror (set ASSISTANT_LAWS_GIT; looked in {', '.join(map(str, candidates))})")


def listing() -> list[str]:
    """Every statute file of the mirror (``folder/title(date).md``), sorted."""
    names = subprocess.run(
        ["git", f"--git-dir={law_git_dir()}", "-c", "core.quotepath=off", "ls-tree", "-r", "--name-only", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return sorted(n for n in names if n.endswith(".md") and "_index" not in n)


def export(folders: list[str], dest: Path) -> list[Path]:
    """Write the statutes under ``folders`` of the mirror into ``dest``; the written files, sorted."""
    archive = subprocess.run(
        ["git", f"--git-dir={law_git_dir()}", "archive", "--format=tar", "HEAD", "--", *folders],
        check=True,
        capture_output=True,
    ).stdout
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".md") and "_index" not in m.name]
        tar.extractall(dest, members=members, filter="data")
    return sorted(dest / m.name for m in members)


def articles(path: Path, folder: str) -> list[Article]:
    """The articles of one exported statute file (a plain reading, independent of the product's parser)."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), path.stem)
    body = lines[lines.index("<!-- INFO END -->") + 1 :] if "<!-- INFO END -->" in lines else lines
    found: list[Article] = []
    for line in body:
        if not line or line.startswith("#"):
            continue
        match = _ARTICLE.match(line)
        if match:
            found.append(Article(title, match.group(1), line, folder))
        elif found:
            previous = found[-1]
            found[-1] = Article(previous.law, previous.label, f"{previous.text}\n{line}", folder)
    return found
