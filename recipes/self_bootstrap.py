"""Self-bootstrap: the student critiques and corrects its own answers, then learns from the corrections.

The method the project exists for. Every round is also scored against gold answers on held-out
questions, so a student that only learns to please itself is caught and the best round kept.
"""

import sys

from distill.ui.recipe import parser, run_recipe

if __name__ == "__main__":
    args = parser(__doc__, run_dir="runs/self-bootstrap").parse_args()
    sys.exit(run_recipe(args, teacher="self"))
