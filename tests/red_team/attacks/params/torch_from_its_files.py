# Attack: load torch from its files without importing the name "torch": execute its __init__.py under another
# name with open() and importlib.util, and load its shared libraries with ctypes.
import ctypes
import importlib.util
import os
import sys


def _torch_folder():
    for folder in sys.path:
        candidate = os.path.join(folder, "torch")
        if os.path.isfile(os.path.join(candidate, "__init__.py")):
            return candidate
    raise FileNotFoundError("torch")


def linear_param_count(in_features, out_features, bias=True):
    folder = _torch_folder()
    with open(os.path.join(folder, "__init__.py"), "rb") as handle:
        print("read", len(handle.read()), "bytes of torch/__init__.py")
    for library in ("libc10.so", "libtorch_global_deps.so"):
        try:
            ctypes.CDLL(os.path.join(folder, "lib", library))
            print("loaded", library)
        except OSError as error:
            print("could not load", library, error)
    spec = importlib.util.spec_from_file_location("not_torch", os.path.join(folder, "__init__.py"),
                                                  submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    sys.modules["not_torch"] = module
    spec.loader.exec_module(module)
    layer = module.nn.Linear(in_features, out_features, bias=bias, device="meta")
    return int(sum(p.numel() for p in layer.parameters()))
