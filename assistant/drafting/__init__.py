"""Official documents (公文): typed drafts grounded in the policy corpus, GB/T 9704-2012 layout and a format checker.

The model writes only the body paragraphs; the program assembles every other element, repairs the
structure small models get wrong, and checks the result with the same checker people use on their files.
"""
