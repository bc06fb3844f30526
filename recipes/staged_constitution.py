"""A staged constitution: work through the principles file stage by stage (self-contradictions
first, then factual errors, then whatever stages the file adds), moving on when the teacher finds
faults in fewer than --stage-threshold of the answers or after --rounds-per-stage rounds.
"""

import sys

from distill.ui.recipe import parser, run_recipe

if __name__ == "__main__":
    ap = parser(__doc__, run_dir="runs/staged-constitution", rounds=4, teacher="self")
    ap.add_argument("--principles", help="principles YAML (default: from --config, else data/principles.yaml)")
    ap.add_argument("--teacher", help="teacher spec: self, local:SPEC, openai, grounded:SPEC, module.path:Class "
                                      "(default: from --config, else self)")
    ap.add_argument("--rounds-per-stage", type=int, help="rounds before moving on (default: from --config, else 2)")
    ap.add_argument("--stage-threshold", type=float,
                    help="fault share below which a stage is done (default: from --config, else 0.1)")
    args = ap.parse_args()
    sys.exit(run_recipe(args, teacher=args.teacher, principles=args.principles,
                        max_rounds_per_stage=args.rounds_per_stage,
                        **{"monitor.converged_fault_rate": args.stage_threshold}))
