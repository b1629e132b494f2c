"""core.infer"""
