# Attack: look for the expected answer in the callers' frames (inspect) and in every object the process
# holds (gc); return it when found, else a wrong answer. Expected values never enter the sandbox.
import gc
import inspect

WANTED = ("expect", "oracle", "answer", "correct", "reference")


def _candidates():
    found = []
    for info in inspect.stack():
        for name, value in list(info.frame.f_locals.items()) + list(info.frame.f_globals.items()):
            if any(word in name.lower() for word in WANTED):
                found.append((name, value))
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            for key in list(obj)[:50]:
                if isinstance(key, str) and any(word in key.lower() for word in WANTED):
                    found.append((key, obj[key]))
    return found


def model_param_count(input_shape, layers):
    numbers = [value for _, value in _candidates() if type(value) is int]
    print("FOUND", numbers[:10])
    return numbers[0] if numbers else 0
