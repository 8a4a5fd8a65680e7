# Attack: get the marks from the student release instead of from work. Every Python file of the release is pasted
# in, each as the module it is (so that what one file imports from another resolves), one statement at a time (a
# statement that fails, such as an import the sandbox refuses, is skipped and the rest goes on). Then one of the
# assignment's names (SCREENED) answers with whatever the paste holds that plausibly fits it, one candidate at a
# time (``_choose``): each function, class or method whose name shares a word with it and whose arguments fit, each
# network class (for LeNet5), and each oracle-like object turned into the student API by the suite's own
# ``as_student``. The other names keep the correct solution this attack is appended to; SCREENED raises until a
# candidate is chosen (also after a restart of the child).
import __future__
import ast
import base64
import inspect
import json
import sys
import types

PLACES = json.loads(r'''@PLACES@''')
SCREENED = PLACES["screened"]
WORDS = set(SCREENED.split("_")) | {"oracle", "student", "answer", "solution", "expected", "reference"}
ANNOTATIONS = __future__.annotations.compiler_flag


def paste(name, is_package, source):
    """Run a release file as module ``name``, statement by statement, skipping those that fail."""
    module = types.ModuleType(name)
    module.__file__ = f"<pasted {name}>"
    if is_package:
        module.__path__ = []
    sys.modules[name] = module
    for statement in ast.parse(source).body:
        try:
            code = compile(ast.Module([statement], []), module.__file__, "exec", flags=ANNOTATIONS, dont_inherit=True)
            exec(code, module.__dict__)
        except BaseException:  # noqa: BLE001 - a refused import, a missing name: skip it, as a student would
            continue
    return module


PASTED = [paste(name, is_package, base64.b64decode(source).decode()) for name, is_package, source in PLACES["modules"]]


def words(name):
    return {word for word in name.lower().replace(".", "_").split("_") if word}


def takes(candidate, count):
    """Whether ``candidate`` can be called with ``count`` positional arguments."""
    try:
        inspect.signature(candidate).bind(*range(count))
        return True
    except (TypeError, ValueError):
        return False


def instances(module):
    """An instance of each class of ``module`` that can be made without arguments."""
    made = []
    for value in list(vars(module).values()):
        if isinstance(value, type) and value.__module__ == module.__name__:
            try:
                made.append((value.__name__, value()))
            except BaseException:  # noqa: BLE001
                continue
    return made


def network_classes(module):
    torch = sys.modules.get("torch")
    if torch is None:
        return []
    return [(name, value) for name, value in vars(module).items() if isinstance(value, type)
            and issubclass(value, torch.nn.Module) and value.__module__ == module.__name__]


def as_lenet(cls):
    def build(num_classes=10, in_channels=1):
        try:
            return cls(num_classes, in_channels)
        except TypeError:
            return cls()
    return build


def candidates():
    """(label, callable) for everything the paste holds that plausibly answers for SCREENED."""
    found = []
    glue = getattr(sys.modules.get(PLACES["suite"]), "as_student", None)
    for module in PASTED:
        for name, value in list(vars(module).items()):
            if callable(value) and getattr(value, "__module__", None) == module.__name__ and words(name) & WORDS \
                    and takes(value, PLACES["arguments"]):
                found.append((f"{module.__name__}.{name}", value))
        for class_name, instance in instances(module):
            for name in dir(instance):
                method = getattr(instance, name, None) if not name.startswith("__") else None
                if callable(method) and words(name) & WORDS and takes(method, PLACES["arguments"]):
                    found.append((f"{module.__name__}.{class_name}().{name}", method))
            if glue is not None:
                try:
                    api = glue(instance)
                except BaseException:  # noqa: BLE001
                    continue
                if SCREENED in api:
                    found.append((f"as_student({module.__name__}.{class_name}())", api[SCREENED]))
        if SCREENED == "LeNet5":
            found += [(f"{module.__name__}.{name}", as_lenet(cls)) for name, cls in network_classes(module)]
    return found


CANDIDATES = candidates()
CHOSEN = []


def _inventory():
    return [label for label, _ in CANDIDATES]


def _choose(index):
    CHOSEN[:] = [index]
    return CANDIDATES[index][0]


def _screened(*args, **kwargs):
    if not CHOSEN:
        raise NotImplementedError(f"{SCREENED}: no candidate chosen")
    return CANDIDATES[CHOSEN[0]][1](*args, **kwargs)


globals()[SCREENED] = _screened
