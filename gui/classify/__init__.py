"""gui.classify"""
