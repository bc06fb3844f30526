"""Self-bootstrap: the student critiques and corrects its own answers, then learns from the corrections.

The method the project exists for. Every round is also scored against gold answers on held-out
questions, so a student that only learns to please itself is caught and the best round kept.
The judge is the student itself unless a --config names another teacher (e.g. ``teacher:
critic:MODEL``, a critic the check taught, with the student still writing the corrections).
"""

import sys

from distill.ui.recipe import parser, run_recipe

if __name__ == "__main__":
    # the teacher is a default, not an override: a --config that names one is obeyed
    args = parser(__doc__, run_dir="runs/self-bootstrap", teacher="self").parse_args()
    sys.exit(run_recipe(args))
