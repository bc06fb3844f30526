"""The checks, the project's central idea, each written once: how a number is read and compared,
and GSM8K's ``work #### n`` split and written (:mod:`~distill.checks.numbers`: one grammar, one
tolerance), does an answer reach its reference (:mod:`~distill.checks.reference`: matching by
format, lenient and strict), is its working true (:mod:`~distill.checks.working`: equations
computed, the final number the working's result), and what did a critic say
(:mod:`~distill.checks.verdict`: verdict parsing, verdict -> approval and reward). Evaluation, the
grounded and arithmetic teachers, the target review and the rewards all use these; nothing else
decides whether an answer is right.
"""
