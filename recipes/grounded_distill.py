"""Grounded distillation: a teacher that knows the answers. Each prompt carries a reference answer;
the student's answer is checked against it by the evaluation's own rules. A verified answer is
trained on as it is; a wrong one is critiqued and revised by the teacher with the reference in
view, and the revision is kept only if it passes the same check (STaR, ReST-EM).

The default prompts are the project's training data with references (data/train/: facts with
aliases, arithmetic word problems with worked answers, yes/no questions), none of them in the
eval sets. Prompts without a reference are critiqued without one and counted in the report.
"""

import sys

from distill.data.paths import DATA_DIR
from distill.ui.recipe import POWERED, parser, run_recipe

TRAIN_FILES = [str(p) for p in sorted((DATA_DIR / "train").glob("*.jsonl"))]

if __name__ == "__main__":
    ap = parser(__doc__, run_dir="runs/grounded-distill", teacher="grounded:self", prompts=TRAIN_FILES, **POWERED)
    ap.add_argument("--teacher", help="teacher spec: grounded:self, grounded:local:SPEC, grounded:openai, arithmetic, "
                                      "... (default: from --config, else grounded:self)")
    ap.add_argument("--num-samples", type=int,
                    help="answers sampled per prompt, the first verified one kept (default: 1, greedy)")
    ap.add_argument("--temperature", type=float, help="answer sampling temperature (default: 0, greedy)")
    args = ap.parse_args()
    sys.exit(run_recipe(args, teacher=args.teacher, **{"answer.num_samples": args.num_samples,
                                                      "answer.temperature": args.temperature}))
