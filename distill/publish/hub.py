"""Push a run's model to the Hugging Face Hub: the round the monitor recommends, with its model card.

``push_to_hub: true`` (with ``hub_model_id``) in the run config pushes once the run has ended;
``distill push RUN_DIR`` pushes (or retries) by hand. The token is huggingface_hub's own (``HF_TOKEN``
or ``hf auth login``): it is never read, written or logged here. ``HF_ENDPOINT`` is read when the push
starts, so a private hub set in the environment after import is honoured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.errors import ResourceError

if TYPE_CHECKING:
    from distill.store.folder import RunFolder
    from distill.store.records import Manifest


@dataclass
class Pushed:
    """What a push did, as saved in the manifest (``manifest.pushed``)."""

    round: int
    repo_id: str
    commit_url: str

    def to_json(self) -> dict:
        return {"round": self.round, "repo_id": self.repo_id, "commit_url": self.commit_url}


def push_round(folder: "RunFolder", manifest: "Manifest", repo_id: str, round_number: int | None = None,
               private: bool | None = None) -> Pushed:
    """Upload ``round-NN/model/`` (weights, tokenizer, README.md card) of the run in ``folder`` to
    the model repo ``repo_id`` (created if missing, ``private`` as given) as one commit, and
    record the push in ``manifest`` (saved). ``round_number`` defaults to the manifest's
    recommended round; round 0, the untouched student, is never pushed: it is the model the run
    started from."""
    from distill.store.atomic import is_complete

    run_dir = folder.path
    n = manifest.best_round if round_number is None else round_number
    if n == 0:
        raise ResourceError(f"{run_dir}: the run recommends round 0, the untouched student, so there is nothing to push "
                        f"({manifest.reason or 'no trained round beat it'}); `distill push --round N` pushes a "
                        "trained round anyway")
    model = folder.round_dir(n) / "model"
    if not is_complete(model):
        raise ResourceError(f"{model}: no finished model for round {n}")
    from huggingface_hub import HfApi, constants

    if constants.HF_HUB_OFFLINE:
        raise ResourceError(f"HF_HUB_OFFLINE is set, so round {n} of {run_dir} was not pushed to {repo_id}; unset it and "
                        f"run `distill push {run_dir}`")
    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, folder_path=model,
                                 commit_message=f"{run_dir.name}: round {n}",
                                 commit_description=f"Round {n} of a selfdistill run; see README.md.")
    except Exception as e:  # the hub's errors come from several libraries (HTTP, xet, OS); all end here alike
        why = " ".join(str(e).split())[:300] or type(e).__name__
        raise ResourceError(f"pushing round {n} of {run_dir} to {repo_id} at {api.endpoint} failed: {why}; the run "
                        f"folder is untouched: retry with `distill push {run_dir}`") from None
    pushed = Pushed(n, repo_id, str(info.commit_url))
    manifest.pushed = pushed.to_json()
    folder.save_manifest(manifest)
    return pushed
