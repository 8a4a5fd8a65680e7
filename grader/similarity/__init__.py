"""`grader similarity`: which submissions of a class share unusually much code, to be read side by side.

Fingerprinting is copydetect's (winnowing over tokens with names normalised, as in MOSS): renaming variables or
reordering functions does not hide shared code. The released stub's own code is boilerplate and never counts,
so the template does not make everyone look alike. Notebooks count by their code cells. The report flags pairs
for a person to read; it accuses no one.
"""
