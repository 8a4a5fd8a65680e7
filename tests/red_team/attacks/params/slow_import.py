# Attack: a module that never finishes importing (a sleep at module level), so loading it hangs.
import time

time.sleep(3600)
