"""An OpenAI-compatible API teaches: OpenAI, vLLM, llama.cpp server, `transformers serve`, Ollama.

The API key is read from the environment variable named by --api-key-env; it is never written to
the run folder or the logs (the run's config.yaml records only the variable's name).
"""

import sys

from distill.ui.recipe import POWERED, parser, run_recipe

if __name__ == "__main__":
    ap = parser(__doc__, run_dir="runs/openai-teacher", teacher="openai", **POWERED)
    ap.add_argument("--teacher", help="'openai', or 'grounded:openai' to check answers against prompt references "
                                      "(default: from --config, else openai)")
    ap.add_argument("--base-url", help="endpoint, e.g. http://127.0.0.1:8000/v1 (default: the client's)")
    ap.add_argument("--teacher-model", help="model name the server knows (default: gpt-4o-mini)")
    ap.add_argument("--api-key-env", help="name of the variable holding the key, '' for none (default: OPENAI_API_KEY)")
    ap.add_argument("--max-concurrency", type=int, help="requests in flight at once (default: 4)")
    args = ap.parse_args()
    sys.exit(run_recipe(args, teacher=args.teacher, **{
        "teacher_kwargs.base_url": args.base_url, "teacher_kwargs.model": args.teacher_model,
        "teacher_kwargs.api_key_env": args.api_key_env, "teacher_kwargs.max_concurrency": args.max_concurrency,
    }))
