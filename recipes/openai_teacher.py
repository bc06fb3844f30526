"""An OpenAI-compatible API teaches: OpenAI, vLLM, llama.cpp server, `transformers serve`, Ollama.

The API key is read from the environment variable named by --api-key-env; it is never written to
the run folder or the logs (the run's config.yaml records only the variable's name).
"""

from distill.recipe import build_config, parser, run_recipe

if __name__ == "__main__":
    ap = parser(__doc__, run_dir="runs/openai-teacher")
    ap.add_argument("--base-url", default=None, help="endpoint, e.g. http://127.0.0.1:8000/v1 (default: the client's)")
    ap.add_argument("--teacher-model", default="gpt-4o-mini", help="model name the server knows")
    ap.add_argument("--api-key-env", default="OPENAI_API_KEY", help="name of the variable holding the key; '' for none")
    ap.add_argument("--max-concurrency", type=int, default=4, help="requests in flight at once")
    args = ap.parse_args()
    teacher_kwargs = dict(base_url=args.base_url, model=args.teacher_model,
                          api_key_env=args.api_key_env or None, max_concurrency=args.max_concurrency)
    run_recipe(args, build_config(args, teacher="openai", teacher_kwargs=teacher_kwargs))
