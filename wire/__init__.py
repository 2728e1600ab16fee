"""The marketplace's public contract, in one place: the values, REST views and live
messages that travel between the services and their clients. The services, the live
gateway, the web app's API client and the example bot all read and write these models;
nothing here does I/O or knows a database.
"""
