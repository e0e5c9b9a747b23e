"""The audit trail, 好差评 feedback and the knowledge-gap list (issue 18), over the relational store."""
