import letta_project.encryption
from django.db import migrations


def encrypt_server_urls(apps, schema_editor):
    """Re-save every MCP server's URL: the field reads a plain value as it is and writes it encrypted."""
    MCPServer = apps.get_model("tools", "MCPServer")
    for pk, server_url in MCPServer.objects.using(schema_editor.connection.alias).values_list("pk", "server_url"):
        MCPServer.objects.using(schema_editor.connection.alias).filter(pk=pk).update(server_url=server_url)


def decrypt_server_urls(apps, schema_editor):
    """Back to plain text, written past the field (which would encrypt it again)."""
    MCPServer = apps.get_model("tools", "MCPServer")
    table = schema_editor.connection.ops.quote_name(MCPServer._meta.db_table)
    rows = list(MCPServer.objects.using(schema_editor.connection.alias).values_list("pk", "server_url"))
    with schema_editor.connection.cursor() as cursor:
        for pk, server_url in rows:
            cursor.execute(f"UPDATE {table} SET server_url = %s WHERE id = %s", [server_url, pk])


class Migration(migrations.Migration):

    dependencies = [
        ('tools', '0002_mcp_server'),
    ]

    operations = [
        migrations.AlterField(
            model_name='mcpserver',
            name='server_url',
            field=letta_project.encryption.EncryptedTextField(blank=True, default=''),
        ),
        migrations.RunPython(encrypt_server_urls, decrypt_server_urls),
    ]
