"""A staged constitution: work through the principles file stage by stage (self-contradictions
first, then factual errors, then whatever stages the file adds), moving on when the teacher finds
faults in fewer than --stage-threshold of the answers or after --rounds-per-stage rounds.
"""

from distill.recipe import build_config, parser, run_recipe

if __name__ == "__main__":
    ap = parser(__doc__, run_dir="runs/staged-constitution")
    ap.add_argument("--principles", default=None, help="principles YAML (default data/principles.yaml)")
    ap.add_argument("--teacher", default="self", help="teacher spec: self, local:SPEC, openai, module.path:Class")
    ap.add_argument("--rounds-per-stage", type=int, default=2)
    ap.add_argument("--stage-threshold", type=float, default=0.1, help="fault share below which a stage is done")
    ap.set_defaults(rounds=4)
    args = ap.parse_args()
    config = build_config(args, teacher=args.teacher, principles=args.principles, max_rounds_per_stage=args.rounds_per_stage)
    config.monitor.converged_fault_rate = args.stage_threshold
    run_recipe(args, config)
