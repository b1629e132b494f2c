"""core.models.registry"""
