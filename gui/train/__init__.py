"""gui.train"""
