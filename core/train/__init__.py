"""core.train"""
