"""The critic the check taught: a verifier trained on thousands of answers the reference check
labelled, then used where no reference exists.

* :mod:`~distill.critic.data` — answers sampled to prompts with references (several temperatures,
  several models), each labelled right or wrong by the strict check, whole prompts held out;
* :mod:`~distill.critic.rows` — (question, answer) in the run's critique chat -> the verdict, as
  training rows;
* :mod:`~distill.critic.measure` — how well a critic tells right from wrong: J and AUROC, per format;
* :mod:`~distill.critic.build` — the resumable, locked pipeline: sample, label, train, measure
  (:class:`CriticConfig`, :func:`build_critic`).

A trained critic judges through the ``critic:<model>`` teacher (``teachers/critic.py``): its
verdict and its confidence (the probability of FAULT) read from its logits, so the self teacher,
the judge, best-of-N and the ``judge`` reward use it unchanged.
"""
