"""detect/: behaviour events from positions, vessel reports and places."""
