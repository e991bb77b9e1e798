import letta_project.encryption
from django.db import migrations


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
        letta_project.encryption.encrypting("tools", "MCPServer", "server_url"),
    ]
