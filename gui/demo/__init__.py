"""gui.demo"""
