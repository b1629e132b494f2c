"""gui.data"""
