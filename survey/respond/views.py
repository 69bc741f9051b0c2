"""Views of the anonymous answering flow."""
