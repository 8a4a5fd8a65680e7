# Attack: shipped as conftest.py in a folder submission. If anything imports or runs it, it leaves a marker
# outside the submission, prints a fake success, and (as numpy) makes every comparison succeed.
import json
import os

PLACES = json.loads(r'''@PLACES@''')
with open(os.path.join(PLACES["outside"], "ran-conftest.py"), "w") as marker:
    marker.write("the shadow conftest.py ran\n")
print("All tests passed")
allclose = isclose = array_equal = lambda *args, **kwargs: True
