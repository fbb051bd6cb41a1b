"""Keras 3's ``serialize`` / ``deserialize`` / ``get`` for a family of built-in objects (regularizers,
constraints): one implementation, each module binding its own names."""


class Registry:
    """``kind``: 'regularizer' / 'constraint' (error messages); ``module``: Keras's module name in the
    serialized dict; ``by_class``: class name -> class; ``by_name``: accepted string identifiers."""

    def __init__(self, kind, module, by_class, by_name):
        self.kind, self.module, self.by_class, self.by_name = kind, module, dict(by_class), dict(by_name)

    def serialize(self, obj):
        """Keras 3's serialized form of a built-in object (None for None)."""
        if obj is None:
            return None
        if type(obj).__name__ not in self.by_class:
            raise NotImplementedError(f"serialize of a custom {self.kind} {obj!r} is not implemented in gputape")
        return {"module": self.module, "class_name": type(obj).__name__, "config": obj.get_config(),
                "registered_name": None}

    def get(self, identifier):
        """None, an object or callable, a registered name, or ``serialize``'s dict (Keras 3's ``get``);
        ValueError otherwise, with Keras's message."""
        if identifier is None:
            return None
        if isinstance(identifier, dict) and identifier.get("class_name") in self.by_class:
            return self.by_class[identifier["class_name"]].from_config(dict(identifier.get("config") or {}))
        if isinstance(identifier, str) and identifier in self.by_name:
            return self.by_name[identifier]()
        if callable(identifier) and not isinstance(identifier, str):
            return identifier
        raise ValueError(f"Could not interpret {self.kind} identifier: {identifier}")
