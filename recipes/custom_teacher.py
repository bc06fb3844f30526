"""A custom teacher in a few lines: subclass Teacher, override complete(), load it by import path.

    python recipes/custom_teacher.py            # the embedded student, told to be a strict critic
    python recipes/custom_teacher.py --teacher mypkg.mod:MyTeacher
"""

import argparse

from distill.principles import Item, load_principles
from distill.student import SamplingConfig, Student
from teachers import Teacher, load_teacher

STRICT = "You are a strict fact checker. Be brief. Never praise."


class StrictSelfTeacher(Teacher):
    """The student as critic, with a system message of our own: the one method a teacher needs."""

    def __init__(self, student: Student):
        self.student = student

    def complete(self, chats, config):
        return self.student.generate([[{"role": "system", "content": STRICT}, *chat] for chat in chats], config)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", default=f"{__name__}:StrictSelfTeacher", help="module.path:ClassName of a Teacher")
    ap.add_argument("--max-new-tokens", type=int, default=48)
    args = ap.parse_args()
    student = Student()  # the embedded default model: no network
    teacher = load_teacher(args.teacher, student=student)
    principle = load_principles()[1].principles[0]  # factual errors / wrong-facts
    items = [Item("How many legs does a spider have?", "A spider has six legs.", reference="Eight."),
             Item("What is the capital of Italy?", "The capital of Italy is Rome.")]
    cfg = SamplingConfig(max_new_tokens=args.max_new_tokens)
    for item, crit in zip(items, teacher.critique(items, principle, cfg)):
        print(f"\nQ: {item.prompt}\nA: {item.answer}\nCritique [{crit.verdict}]: {crit.text}")
        if crit.fault:
            print("Revised:", teacher.revise([item], [crit], principle, cfg)[0].text)
    print("\nteacher usage:", teacher.usage.as_dict())


if __name__ == "__main__":
    main()
