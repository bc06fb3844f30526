"""Where the project's own data lives (prompts, replay data, eval sets, principles)."""

from pathlib import Path

# distill/ sits beside data/ in the repository, so this holds for checkouts and editable
# installs (`make install`); a wheel install passes explicit paths (or sets DISTILL_PRINCIPLES).
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
