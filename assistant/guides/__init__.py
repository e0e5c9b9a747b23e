"""Guides for a life event or goal ("一件事"): which catalogue items to do, in what order, with what materials.

The core function is ``GuideService.guide`` (``service.py``), reached as ``Components.guides.guide(question)``
by the API (``POST /v1/guide``), the CLI (``assistant guide``) and the chat's guide card alike.
"""
