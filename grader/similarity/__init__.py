"""`grader similarity`: which submissions of a class share unusually much code, to be read side by side.

tokens.py reads code as tokens with every chosen name normalised; fingerprints.py hashes runs of them with a stable
hash (the same report in every process); compare.py compares every pair, leaving out the code every student was
given (stub.py finds the released stub from the assignment; --base files) and passages common to the class;
grader_code.py adds the grader's own code and the reference, which no submission should hold; threshold.py says
which pairs stand out from their class; report.py writes the report. It flags pairs for a person to read; it
accuses no one.
"""
