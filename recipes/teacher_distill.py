"""Teacher distillation: a larger local model critiques and corrects the student's answers.

The teacher is any model spec (HF folder, .gguf file, embedded name, hub id when online) with a
chat template of its own; it may use a different tokenizer from the student.
"""

import sys

from distill.ui.recipe import POWERED, parser, run_recipe

if __name__ == "__main__":
    ap = parser(__doc__, run_dir="runs/teacher-distill", **POWERED)
    ap.add_argument("--teacher", required=True, help="teacher model spec, e.g. ./Qwen2.5-1.5B-Instruct or a .gguf file")
    args = ap.parse_args()
    sys.exit(run_recipe(args, teacher=f"local:{args.teacher}"))
