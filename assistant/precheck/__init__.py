"""智能预审: checks an application's materials against its item's checklist and drafts the 一次性告知.

The machine reads, places and checks; a person decides. Nothing here changes a case's state.
``PrecheckService.run`` (service.py) is the one entry point under the API, the CLI and the case page.
"""
