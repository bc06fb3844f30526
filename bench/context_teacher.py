"""What the context teacher teaches at the first tokens of an arithmetic answer: the untouched student
reading a problem of ``data/train/`` alone, and reading it with its reference in the context
(:data:`distill.train.onpolicy.CONTEXT_TEMPLATE`, and a variant asking for the working). For each:
the probability that the answer ends right after the bare result (the shortcut a teacher that sees
the answer can take and the student cannot), and after a bare number from the question, and its
most likely first token.

    .venv/bin/python bench/context_teacher.py [--problems 24]

Prints a markdown table.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKING = ("{prompt}\n\nHere is a correct answer to this question, for your eyes only:\n{context}\n\n"
           "Now write your own answer to the question, showing your working.")


def main() -> None:
    import re

    import torch

    from distill.data.prompts import load_prompts
    from distill.eval.gold import EvalConfig
    from distill.model.resolve import DEFAULT_STUDENT, load_model
    from distill.train.onpolicy import CONTEXT_TEMPLATE, reference_text

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=24)
    args = ap.parse_args()
    model, tok = load_model(DEFAULT_STUDENT)
    end = tok.convert_tokens_to_ids("<|im_end|>")
    suffix = EvalConfig().prompt_suffix["gsm8k"]
    problems = load_prompts(ROOT / "data" / "train" / "arithmetic.jsonl")[:args.problems]

    @torch.no_grad()
    def next_token(text: str, answer: str = "") -> torch.Tensor:
        ids = tok.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True, tokenize=True)
        ids = list(ids["input_ids"] if hasattr(ids, "keys") else ids) + tok.encode(answer, add_special_tokens=False)
        return model(torch.tensor([ids])).logits[0, -1].float().softmax(-1)

    rows = []
    for name, template in (("student (the prompt alone)", None), ("context teacher (CONTEXT_TEMPLATE)", CONTEXT_TEMPLATE),
                           ("context teacher asked for its working", WORKING)):
        ends, wrong, firsts = [], [], Counter()
        for q in problems:
            asked = q.prompt + suffix
            text = asked if template is None else template.format(prompt=asked, context=reference_text(q))
            firsts[tok.decode([int(next_token(text).argmax())]).strip()] += 1
            result = str(int(q.gold)) if q.gold == int(q.gold) else str(q.gold)
            ends.append(float(next_token(text, result)[end]))
            number = re.findall(r"\d+", q.prompt)[0]  # the question's first number, given as the answer
            wrong.append(float(next_token(text, number)[end]))
        top, count = firsts.most_common(1)[0]
        rows.append(f"| {name} | {100 * sum(ends) / len(ends):.1f}% | {100 * sum(wrong) / len(wrong):.1f}% "
                    f"| {top!r} ({count} of {len(problems)}) |")
    print(f"| reader (mean over {len(problems)} problems) | P(the answer ends after the bare result) "
          "| P(it ends after the question's first number) | most likely first token |\n|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
