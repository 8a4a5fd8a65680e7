"""Find the students' submissions in a folder: one entry per student, named by the student's id.

A `.py` or `.ipynb` file (id = stem), a folder (id = its name) or a `.zip` (id = stem, extracted safely into
a scratch folder). A folder in which every entry bears the names of a Canvas or Moodle bulk download (see
`downloads`) gives one entry per student instead, named by the student's key there; a student's several files are
gathered in a scratch folder under the names they were handed in as. Anything that cannot be graded becomes an entry with a `problem` sentence, never a silent skip:
that includes an id unsafe as a folder name (see `layout`), a hidden or dot-only name, ids that differ only in case
or in Unicode normalisation (NFC and NFD spellings of one name), which would share a folder or look identical, and
anything that is not a regular file (a FIFO, a device, a socket, a link) or is too large, found with `lstat` before
a byte is read. No submission can stop the batch: every OSError becomes that student's problem.
"""

from __future__ import annotations

import os
import shutil
import stat
import unicodedata
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.batch.downloads import Downloaded, read_download
from grader.batch.layout import id_problem, printable

MAX_ZIP_MEMBERS = 200
MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_FOLDER_FILES = 1000
MAX_FOLDER_BYTES = 50 * 1024 * 1024
IGNORED = ("__MACOSX",)
GRADABLE_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Entry:
    """One student's submission: where to grade it from (`path`), what was handed in (`sources`), or why it
    cannot be graded (`problem`)."""

    student_id: str
    path: Path
    problem: str | None = None
    sources: tuple[Path, ...] = ()


class UnsafeZip(Exception):
    """A zip that is corrupt, or that would write outside its folder or fill the disk; the message says which."""


class Unusable(Exception):
    """A student's files that cannot be gathered for grading; the message says why and what to do."""


def discover(submissions: Path, scratch: Path, out: Path | None = None) -> list[Entry]:
    """The entries of `submissions` but the batch's output folder `out`, sorted by id; zips are extracted and a
    download's files gathered under `scratch` (which must exist)."""
    paths = handed_in(submissions, out)
    downloaded = read_download([path.name for path in paths])[1]
    by_id: dict[str, list[Path]] = defaultdict(list)
    for path in paths:
        by_id[unicodedata.normalize("NFC", student_id(path, downloaded)).casefold()].append(path)
    return sorted((entry(sorted(group), scratch, downloaded) for group in by_id.values()), key=lambda e: e.student_id)


def handed_in(submissions: Path, out: Path | None = None) -> list[Path]:
    """The entries of `submissions` that students handed in: not those of file browsers, version control or
    Jupyter, nor the batch's own output folder `out`."""
    return [path for path in submissions.iterdir() if path.name not in IGNORED and path.name not in SYSTEM_FILES
            and (out is None or path.resolve() != out.resolve())]


def folder_holds_submissions(submissions: Path) -> str:
    """Why ``submissions`` cannot be a batch's folder (unreadable, or nothing in it but system files), or ''."""
    try:
        paths = handed_in(submissions)
    except OSError as error:
        return f"{submissions} cannot be read ({error.strerror}): give the grader read access to it"
    if not paths:
        return (f"{submissions} holds no submissions: put one file, notebook, folder or zip per student in it "
                "(named after the student's id)")
    return ""


# Written by file browsers, version control and Jupyter, never handed in by a student.
SYSTEM_FILES = (".DS_Store", "Thumbs.db", "desktop.ini", ".git", ".ipynb_checkpoints")


def student_id(path: Path, downloaded: dict[str, Downloaded] | None = None) -> str:
    """The id an entry names: its student's key in an LMS download, a folder's name, a file's stem (never empty:
    `..py` names `..py`)."""
    if downloaded and path.name in downloaded:
        return downloaded[path.name].key
    return path.name if path.is_dir() and not path.is_symlink() else (path.stem or path.name)


def entry(paths: list[Path], scratch: Path, downloaded: dict[str, Downloaded]) -> Entry:
    """The entry for one id (the paths share it, up to case), or a problem entry when the id is unsafe, there are
    several candidates, or the one is unusable. The entry's id is printable even when the name is not."""
    path, sources = paths[0], tuple(paths)
    sid = printable(student_id(path, downloaded))
    problem = id_problem(student_id(path, downloaded), path.name)
    if problem is not None:
        return Entry(sid, path, problem, sources)
    if len(paths) > 1 and not downloaded:
        names = " and ".join(printable(p.name) for p in paths)
        return Entry(sid, path, f"several submissions for {sid} ({names}); keep exactly one (names that look the "
                                "same may differ in case or in how an accented letter is encoded)", sources)
    try:
        if len(paths) > 1:
            return Entry(sid, gather(paths, downloaded, scratch / sid), None, sources)
        problem = shape_problem(path)
        if problem is not None:
            return Entry(sid, path, problem, sources)
        if path.is_dir() or path.suffix.lower() in GRADABLE_SUFFIXES:
            return Entry(sid, path, None, sources)
        return Entry(sid, extract_zip(path, scratch / sid), None, sources)
    except (UnsafeZip, Unusable) as error:
        return Entry(sid, path, str(error), sources)
    except OSError as error:
        return Entry(sid, path, f"{printable(path.name)} could not be read ({printable(str(error))}); "
                                "hand in your files again", sources)


def shape_problem(path: Path, beside_others: bool = False) -> str | None:
    """Why ``path`` cannot be graded before reading a byte of it (a link, a FIFO or device, the wrong kind of
    file, a folder too large or holding something other than files and folders), or None. A file handed in
    `beside_others` may be of any kind (notes beside the code) but no larger than a whole folder may be."""
    name = printable(path.name)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return f"{name} is a symbolic link; submit the file itself"
    if stat.S_ISDIR(info.st_mode):
        return folder_problem(path)
    if not stat.S_ISREG(info.st_mode):
        return f"{name} is not a regular file (a pipe, socket or device); submit a .py, .ipynb or .zip file"
    if beside_others and info.st_size > MAX_FOLDER_BYTES:
        return f"{name} is larger than {MAX_FOLDER_BYTES // (1024 * 1024)} MB; hand in only your code"
    if not beside_others and path.suffix.lower() not in GRADABLE_SUFFIXES + (".zip",):
        return f"{name} is not a .py, .ipynb, .zip or folder"
    return None


def gather(paths: list[Path], downloaded: dict[str, Downloaded], target: Path) -> Path:
    """One folder holding a student's entries of an LMS download, each file under the name it was handed in as
    (a Moodle folder's files keep theirs); within the limits of a folder submission."""
    target.mkdir(parents=True)
    for path in paths:
        problem = shape_problem(path, beside_others=True)
        if problem is not None:
            raise Unusable(problem)
        member = downloaded[path.name].member or path.name
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
        elif (target / member).exists():
            raise Unusable(f"two files named {printable(member)} were handed in; hand in one")
        else:
            shutil.copyfile(path, target / member)
    problem = folder_problem(target)
    if problem is not None:
        raise Unusable(problem)
    return target


def folder_problem(folder: Path) -> str | None:
    """Why a folder submission cannot be graded (it holds something other than regular files and folders, or too
    many files or bytes), found with lstat alone; None when it can."""
    count, size = 0, 0
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            info = (Path(root) / name).lstat()
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "a pipe, socket or device"
                return f"{printable(folder.name)} holds {what} ({printable(name)}); hand in plain files only"
            count, size = count + 1, size + info.st_size
            if count > MAX_FOLDER_FILES or size > MAX_FOLDER_BYTES:
                return (f"{printable(folder.name)} holds more than {MAX_FOLDER_FILES} files or "
                        f"{MAX_FOLDER_BYTES // (1024 * 1024)} MB; hand in only your code")
    return None


def extract_zip(archive: Path, target: Path) -> Path:
    """Extract `archive` into `target` after checking every member; returns the folder holding the code."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.infolist() if not ignored(m.filename)]
            check_members(archive.name, members)
            extract_members(archive.name, zipped, members, target)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as error:
        raise UnsafeZip(f"{archive.name} is not a readable zip ({error}); zip your files again") from error
    except OSError as error:  # members named '.', a file beside a folder of the same name, names too long...
        raise UnsafeZip(f"{archive.name} could not be unpacked ({printable(str(error))}); zip your folder again, "
                        "with short plain file names") from error
    return single_folder(target)


def ignored(name: str) -> bool:
    """Whether a zip member is macOS metadata or hidden (never graded); `..` is not hidden but refused later."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(part in IGNORED or (part.startswith(".") and part not in (".", "..")) for part in parts)


def check_members(name: str, members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip with too many members, too many bytes, links, or paths leaving its folder."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnsafeZip(f"{name} holds {len(members)} files, more than {MAX_ZIP_MEMBERS}; zip only your code")
    if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise UnsafeZip(f"{name} unpacks to more than {MAX_ZIP_BYTES // (1024 * 1024)} MB; zip only your code")
    for member in members:
        path = member.filename.replace("\\", "/")
        if path.startswith("/") or (len(path) > 1 and path[1] == ":") or ".." in PurePosixPath(path).parts:
            raise UnsafeZip(f"{name} has a member outside its folder ({member.filename!r}); zip your folder again")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise UnsafeZip(f"{name} holds a symbolic link ({member.filename!r}); zip the files themselves")


def extract_members(name: str, zipped: zipfile.ZipFile, members: list[zipfile.ZipInfo], target: Path) -> None:
    """Write the checked members under `target`, counting the bytes really read (sizes in a zip can lie)."""
    target.mkdir(parents=True)
    budget = MAX_ZIP_BYTES
    for member in members:
        destination = target.joinpath(*PurePosixPath(member.filename.replace("\\", "/")).parts)
        if member.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        with zipped.open(member) as handle:
            data = handle.read(budget + 1)
        budget -= len(data)
        if budget < 0:
            raise UnsafeZip(f"{name} unpacks to more than {MAX_ZIP_BYTES // (1024 * 1024)} MB; zip only your code")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)


def single_folder(folder: Path) -> Path:
    """The folder itself, or its only subfolder when the zip wrapped everything in one folder."""
    visible = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(visible) == 1 and visible[0].is_dir():
        return visible[0]
    return folder
