"""core.data"""
