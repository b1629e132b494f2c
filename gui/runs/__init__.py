"""gui.runs"""
