"""The web layer's own machinery: the renderer, the inline-edit flow, template filters."""
