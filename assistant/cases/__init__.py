"""办件: applications for service items, carried from submission to completion.

The one way in is ``CaseService`` (``service.py``; ``Components.cases`` builds it), used alike by the
API (``assistant/api/cases_router.py``), the CLI (``commands.py``) and the screens:

- ``create(applicant, item_ids, actor, form=, title=, event_key=, materials=) -> Submission`` (the case
  and its verification code, shown once); ``new_case_from_guide(cases, guide, applicant, actor, form,
  only)`` starts a guide's 一件事;
- ``get(number)``, ``open_as_applicant(number, code)`` (CaseNotFound for a wrong code),
  ``worklist(WorklistQuery) -> WorklistPage``, ``material(number, id)``, ``notice(number, kind)``;
- ``transition(number, Step, actor, materials=())``, ``upload(number, materials, actor, version)``,
  ``delete(number, actor)``, ``sweep_blobs()``.

Every read returns the plain dataclasses of ``views.py`` (``as_dict`` for JSON); every error is one of
``errors.py``. The workflow's states and actions are in ``states.py`` (``workflow()`` lists them with
their Chinese labels), deadlines in ``deadlines.py`` over ``calendar.py``, notices in ``notices.py``,
material bytes in ``blobs.py``, numbers and verification codes in ``numbering.py``.
"""
