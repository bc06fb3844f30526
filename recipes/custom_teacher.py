"""A custom teacher in a few lines: subclass Teacher, override complete(), name it by import path.

Here the student critiques itself under a strict system message of our own. Any class with a
``complete(chats, config) -> list[Completion]`` method works the same way, e.g.
``--teacher mypkg.mod:MyTeacher``.
"""

import sys
from pathlib import Path

from distill.ui.recipe import parser, run_recipe
from teachers import Teacher

STRICT = "You are a strict fact checker. Be brief. Never praise."


class StrictSelfTeacher(Teacher):
    """The student as critic, with a system message of its own: the one method a teacher needs."""

    def __init__(self, student):
        self.student = student  # the loop passes the current student to a teacher that asks for it

    def complete(self, chats, config):
        return self.student.generate([[{"role": "system", "content": STRICT}, *chat] for chat in chats], config)


if __name__ == "__main__":
    ap = parser(__doc__, run_dir="runs/custom-teacher", teacher=f"{Path(__file__).stem}:StrictSelfTeacher")
    ap.add_argument("--teacher", help="module.path:ClassName (default: this file's StrictSelfTeacher)")
    args = ap.parse_args()
    sys.exit(run_recipe(args, teacher=args.teacher))
